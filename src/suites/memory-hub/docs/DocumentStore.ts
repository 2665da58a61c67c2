import { randomUUID } from 'node:crypto';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { MemoryEntry } from '../memory/memoryRecord.js';

export interface DocumentView {
  doc_id: string;
  namespace: string;
  title: string | null;
  content: string;
  metadata: Record<string, unknown>;
  memory_id: string;
  created_at: number;
  updated_at: number;
}

export const DOCUMENT_TYPE = 'document';
export const documentMemoryId = (namespace: string, docId: string): string => `doc:${namespace}:${docId}`;

/**
 * Documents of the namespaced API (doc.*), kept as long-tier memories of type "document" so they
 * share FTS5 and vector search (embedding.search) and never decay. Namespace, doc id and title
 * live in the memory's metadata.
 */
export class DocumentStore {
  constructor(private readonly store: MemoryStore) {}

  put(input: { namespace: string; doc_id?: string; title?: string | null; content: string; metadata?: Record<string, unknown> }): DocumentView {
    const docId = input.doc_id ?? randomUUID();
    const id = documentMemoryId(input.namespace, docId);
    const previous = this.store.peek(id);
    const metadata = { ...(input.metadata ?? {}), namespace: input.namespace, doc_id: docId, title: input.title ?? null, updated_at: Date.now() / 1000 };
    this.store.add({
      memory_id: id,
      content: input.content,
      memory_type: DOCUMENT_TYPE,
      memory_tier: 'long',
      importance: previous?.importance ?? 0.5,
      created_at: previous?.created_at,
      access_count: previous?.access_count,
      metadata,
    });
    return toView(this.store.peek(id)!);
  }

  get(namespace: string, docId: string): DocumentView | undefined {
    const entry = this.store.get(documentMemoryId(namespace, docId));
    return entry && entry.memory_type === DOCUMENT_TYPE ? toView(entry) : undefined;
  }

  delete(namespace: string, docId: string): boolean {
    const id = documentMemoryId(namespace, docId);
    const entry = this.store.peek(id);
    if (!entry || entry.memory_type !== DOCUMENT_TYPE) return false;
    return this.store.delete(id, false) !== undefined;
  }
}

export function toView(entry: MemoryEntry): DocumentView {
  const { namespace, doc_id, title, updated_at, ...rest } = entry.metadata as Record<string, unknown>;
  return {
    doc_id: String(doc_id),
    namespace: String(namespace),
    title: (title as string | null) ?? null,
    content: entry.content,
    metadata: rest,
    memory_id: entry.memory_id,
    created_at: entry.created_at,
    updated_at: typeof updated_at === 'number' ? updated_at : entry.created_at,
  };
}

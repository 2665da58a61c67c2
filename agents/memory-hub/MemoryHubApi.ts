import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply, SuiteError } from '../../src/runtime/errors.js';
import * as C from '../../contracts/memory-hub/MemoryHubApi.js';
import type { MemoryCore } from '../../src/suites/memory-hub/MemoryCore.js';
import { MemoryInputError } from '../../src/suites/memory-hub/memory/MemoryStore.js';
import { SemanticUnavailableError } from '../../src/suites/memory-hub/search/HybridSearch.js';
import { legacyHealthObject, type HealthIdentity } from '../../src/suites/memory-hub/legacyHealthObject.js';

/** Largest kv value (its JSON text). */
const MAX_KV_VALUE_BYTES = 1024 * 1024;

/**
 * The namespaced API for new clients (agent "MemoryHub"): kv.*, doc.*, embedding.search, on the
 * same services as the legacy actions. The conversation half adds session.* and context.*.
 * It also answers the hub's bare health verbs (ping, health, health_check) under the hub's own
 * name and ports (collision rule in src/suites/memory-hub/collisions.ts).
 */
export class MemoryHubApi extends Agent {
  readonly name = 'MemoryHub';
  private readonly startedAt = Date.now();

  constructor(
    private readonly core: MemoryCore,
    private readonly identity: HealthIdentity,
  ) {
    super();
  }

  override actions(): Record<string, ActionDefinition> {
    const { kv, docs, search } = this.core;
    const health = defineAction({
      params: C.health,
      description: 'MemoryHub health: the BaseAgent fields plus redis_available, with the hub name and its main and health ports',
      handler: () => legacyHealthObject(this.core, this.startedAt, this.identity),
    });
    return {
      ping: health,
      health,
      health_check: health,
      'kv.set': defineAction({
        params: C.kvSet,
        reply: C.kvSetReply,
        description: 'Store a JSON value under namespace/key, optionally expiring after ttl seconds',
        handler: (p) => {
          const size = Buffer.byteLength(JSON.stringify(p.value) ?? '', 'utf8');
          if (size > MAX_KV_VALUE_BYTES) return errorReply(`value is ${size} bytes; the limit is ${MAX_KV_VALUE_BYTES} bytes`);
          const entry = kv.set(p.namespace, p.key, p.value, p.ttl);
          return { status: 'success', namespace: entry.namespace, key: entry.key, expires_at: entry.expires_at };
        },
      }),
      'kv.get': defineAction({
        params: C.kvGet,
        reply: C.kvGetReply,
        description: 'Read a live (unexpired) value',
        handler: (p) => {
          const entry = kv.get(p.namespace, p.key);
          if (!entry) throw new SuiteError('NOT_FOUND', { what: 'key', id: `${p.namespace}/${p.key}` });
          return { status: 'success', ...entry };
        },
      }),
      'kv.delete': defineAction({
        params: C.kvDelete,
        reply: C.kvDeleteReply,
        description: 'Delete a key (deleted: false when it was absent)',
        handler: (p) => ({ status: 'success', deleted: kv.delete(p.namespace, p.key) }),
      }),
      'kv.list': defineAction({
        params: C.kvList,
        reply: C.kvListReply,
        description: 'Live keys of a namespace, optionally by prefix',
        handler: (p) => {
          const keys = kv.list(p.namespace, p.prefix, p.limit);
          return { status: 'success', namespace: p.namespace, keys: keys.map((k) => k.key), entries: keys, count: keys.length };
        },
      }),
      'doc.put': defineAction({
        params: C.docPut,
        reply: C.docPutReply,
        description: 'Create or replace a document (indexed for embedding.search)',
        handler: (p) => {
          try {
            const doc = docs.put(p);
            return { status: 'success', doc_id: doc.doc_id, namespace: doc.namespace, memory_id: doc.memory_id };
          } catch (err) {
            if (err instanceof MemoryInputError) return errorReply(`Invalid document: ${err.message}`);
            throw err;
          }
        },
      }),
      'doc.get': defineAction({
        params: C.docGet,
        reply: C.docGetReply,
        description: 'Read a document',
        handler: (p) => {
          const document = docs.get(p.namespace, p.doc_id);
          if (!document) throw new SuiteError('NOT_FOUND', { what: 'document', id: `${p.namespace}/${p.doc_id}` });
          return { status: 'success', document };
        },
      }),
      'doc.delete': defineAction({
        params: C.docDelete,
        reply: C.docDeleteReply,
        description: 'Delete a document',
        handler: (p) => {
          if (!docs.delete(p.namespace, p.doc_id)) throw new SuiteError('NOT_FOUND', { what: 'document', id: `${p.namespace}/${p.doc_id}` });
          return { status: 'success', deleted: true };
        },
      }),
      'embedding.search': defineAction({
        params: C.embeddingSearch,
        reply: C.embeddingSearchReply,
        description: 'Hybrid (default), semantic or lexical search over memories and documents',
        handler: async (p) => {
          const hits = await search
            .search({
            query: p.query,
            limit: p.limit,
            mode: p.mode,
            minSimilarity: p.min_similarity,
            filters: {
              ...(p.namespace ? { namespace: p.namespace } : {}),
              ...(p.memory_type ? { memory_type: p.memory_type } : {}),
            },
          })
            .catch((err: unknown) => {
              if (err instanceof SemanticUnavailableError) return err;
              throw err;
            });
          if (hits instanceof SemanticUnavailableError) return errorReply(hits.message);
          const results = hits.map((h) => ({
            memory_id: h.entry.memory_id,
            content: h.entry.content,
            memory_type: h.entry.memory_type,
            metadata: h.entry.metadata,
            score: h.score,
            similarity: h.similarity ?? null,
            matched_by: h.matched_by,
          }));
          return { status: 'success', results, count: results.length };
        },
      }),
    };
  }
}

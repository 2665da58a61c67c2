import type { KnowledgeService } from './KnowledgeService.js';
import { NotFoundError } from './errors.js';
import { interactionAsMemory, type MemoryEntryView } from './memoryView.js';
import type { OrchestratorMemoryPort } from './OrchestratorMemoryPort.js';
import type { SessionService } from './SessionService.js';
import type { ConversationSearch } from './ConversationSearch.js';
import { TtlCache } from '../../../stores/TtlCache.js';
import { nowS } from './util.js';

export interface ContextEntry {
  memory_id: string;
  content: string;
  metadata?: Record<string, unknown>;
}

export interface RelatedEntry extends ContextEntry {
  relationship_type: string;
}

const entry = (m: { memory_id: string; content: string; metadata: Record<string, unknown> }, withMeta: boolean): ContextEntry =>
  withMeta ? { memory_id: m.memory_id, content: m.content, metadata: m.metadata } : { memory_id: m.memory_id, content: m.content };

/**
 * The MainPC ContextManager's façade (memory_hub.md §2.7), reading the real data its legacy
 * version never reached: a session's interactions, any memory by id with its outgoing relations,
 * recent interactions, and hybrid search. Ids are looked up in the conversation tables first
 * (interaction and fact ids were orchestrator memory ids in legacy), then in the memory store.
 */
export class MainPcContextService {
  private readonly cache: TtlCache<unknown>;

  constructor(
    private readonly sessions: SessionService,
    private readonly knowledge: KnowledgeService,
    private readonly search: ConversationSearch,
    private readonly memories: OrchestratorMemoryPort | undefined,
    cacheTtlS: number,
    cacheSweepS: number,
  ) {
    this.cache = new TtlCache(cacheTtlS * 1000, cacheSweepS * 1000);
    sessions.onChange((id) => this.cache.invalidateContaining(id));
  }

  /** A session's interactions (newest `limit`, oldest first), or a memory's children. */
  sessionContext(sessionId: string, limit: number, withMeta: boolean): ContextEntry[] {
    const key = `context_${sessionId}_${limit}_${withMeta ? 1 : 0}`;
    const hit = this.cache.get(key) as ContextEntry[] | undefined;
    if (hit) return hit;
    let out: ContextEntry[];
    if (this.sessions.exists(sessionId)) {
      out = this.sessions.interactions(sessionId, limit).map((i) => entry(interactionAsMemory(i), withMeta));
    } else {
      const children = this.memories?.children(sessionId, limit) ?? [];
      if (children.length === 0 && !this.memories?.get(sessionId)) throw new NotFoundError('Session', sessionId);
      out = children.map((c) => entry(c, withMeta));
    }
    this.cache.set(key, out);
    return out;
  }

  /** One memory and its outgoing relations. Unknown id → NotFoundError in the orchestrator's wording. */
  memoryContext(contextId: string, withMeta: boolean): { memory: ContextEntry; related_memories: RelatedEntry[] } {
    const key = `context_${contextId}_m_${withMeta ? 1 : 0}`;
    const hit = this.cache.get(key) as { memory: ContextEntry; related_memories: RelatedEntry[] } | undefined;
    if (hit) return hit;
    let out: { memory: ContextEntry; related_memories: RelatedEntry[] };
    const interaction = this.sessions.getInteraction(contextId);
    const fact = interaction ? undefined : this.knowledge.get(contextId);
    if (interaction) out = { memory: entry(interactionAsMemory(interaction), withMeta), related_memories: [] };
    else if (fact) out = { memory: entry(fact, withMeta), related_memories: [] };
    else {
      const m = this.memories?.get(contextId);
      if (!m) throw new NotFoundError('Memory', contextId, `Memory with ID ${contextId} not found.`);
      const related = this.memories!.related(contextId).map((r) =>
        withMeta || r.metadata === undefined
          ? r
          : { memory_id: r.memory_id, content: r.content, relationship_type: r.relationship_type },
      );
      out = { memory: entry(m, withMeta), related_memories: related };
    }
    this.cache.set(key, out);
    return out;
  }

  /** Legacy update_context: content, metadata if non-empty, importance if given. */
  async update(contextId: string, content: string, metadata: Record<string, unknown>, importance: number | undefined): Promise<void> {
    const meta = Object.keys(metadata).length ? metadata : undefined;
    if (this.sessions.getInteraction(contextId)) {
      await this.sessions.updateInteraction(contextId, { content, metadata: meta, importance });
    } else if (this.knowledge.get(contextId)) {
      await this.knowledge.update(contextId, content);
    } else {
      const change: Record<string, unknown> = { content };
      if (meta) change.metadata = meta;
      if (importance !== undefined) change.importance = importance;
      if (!this.memories || !this.memories.update(contextId, change)) {
        throw new NotFoundError('Memory', contextId, `Memory with ID ${contextId} not found.`);
      }
    }
    this.cache.invalidateContaining(contextId);
  }

  /** Legacy merge_contexts: a context group with every id that names a stored memory. */
  merge(ids: string[], name: string, description: string): { group_id: number; added: number } {
    if (!this.memories) throw new Error('Context groups need the memory store, which is not available');
    const groupId = this.memories.createGroup(name, description);
    return { group_id: groupId, added: this.memories.addToGroup(groupId, ids) };
  }

  recentInteractions(limit: number, windowHours: number, userId?: string): MemoryEntryView[] {
    return this.sessions.recentInteractions(nowS() - windowHours * 3600, limit, userId).map(interactionAsMemory);
  }

  async searchInteractions(query: string, opts: { sessionId?: string; limit: number; semantic: boolean }): Promise<Array<MemoryEntryView & { score: number }>> {
    const hits = await this.search.interactions(query, opts);
    const byId = new Map(this.sessions.getInteractions(hits.map((h) => h.id)).map((i) => [i.interaction_id, i]));
    return hits
      .map((h) => {
        const i = byId.get(h.id);
        return i ? { ...interactionAsMemory(i), score: h.score } : undefined;
      })
      .filter((x): x is MemoryEntryView & { score: number } => x !== undefined);
  }
}

import type { MemoryHubDeps } from '../MemoryHubDeps.js';
import { MemoryCache } from '../memory/MemoryCache.js';
import { MemoryGraph } from '../memory/MemoryGraph.js';
import { MemoryStore } from '../memory/MemoryStore.js';
import type { MemoryEntryView } from './memoryView.js';

/**
 * What the MainPC ContextManager needs from the orchestrator's memory store (memory_hub.md §2.7:
 * get_memory, get_related, get_children, update_memory, create_context_group, add_to_group).
 */
export interface OrchestratorMemoryPort {
  get(id: string): MemoryEntryView | undefined;
  children(parentId: string, limit: number): MemoryEntryView[];
  related(id: string): Array<{ memory_id: string; content: string; relationship_type: string; metadata?: Record<string, unknown> }>;
  /** False when the memory does not exist; throws for invalid values. */
  update(id: string, change: Record<string, unknown>): boolean;
  createGroup(name: string, description: string | null): number;
  /** Adds each existing id; returns how many were added (unknown ids are skipped, as legacy ignored failures). */
  addToGroup(groupId: number, memoryIds: string[]): number;
}

/**
 * The port over part A's memory store, built on the same SQLite handle and Redis `mem:` cache, so
 * writes made here keep its FTS index, vector queue and cache coherent.
 */
export function orchestratorPortFromDeps(deps: MemoryHubDeps, maxContentBytes: number): OrchestratorMemoryPort {
  const store = new MemoryStore(deps.db, new MemoryCache(deps.redis, deps.log), { maxContentBytes });
  const graph = new MemoryGraph(deps.db);
  return {
    get: (id) => store.get(id),
    children: (parentId, limit) => store.children(parentId, { limit, sortField: 'created_at', sortOrder: 'asc' }),
    related: (id) =>
      graph.related(id).map((r) => {
        const full = store.peek(r.memory.memory_id);
        return {
          memory_id: r.memory.memory_id,
          content: r.memory.content,
          relationship_type: r.relationship.type,
          ...(full ? { metadata: full.metadata } : {}),
        };
      }),
    update: (id, change) => store.update(id, change),
    createGroup: (name, description) => graph.createGroup(name, description),
    addToGroup: (groupId, ids) =>
      deps.db.transaction(() => {
        let added = 0;
        for (const id of ids) {
          if (!store.exists(id)) continue;
          if (graph.addToGroup(id, groupId)) added++;
        }
        return added;
      })(),
  };
}

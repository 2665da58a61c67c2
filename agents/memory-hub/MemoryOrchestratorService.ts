import { statSync } from 'node:fs';
import type { z } from 'zod';
import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import * as C from '../../contracts/memory-hub/MemoryOrchestratorService.js';
import { BreakerOpenError } from '../../src/suites/memory-hub/memory/CircuitBreaker.js';
import { MissingMemoryError } from '../../src/suites/memory-hub/memory/MemoryGraph.js';
import { MemoryInputError } from '../../src/suites/memory-hub/memory/MemoryStore.js';
import { UPDATABLE_FIELDS } from '../../src/suites/memory-hub/memory/memoryRecord.js';
import type { MemoryCore } from '../../src/suites/memory-hub/MemoryCore.js';
import { isPlainObject, toInt, toLimit, toNumber, truthy } from '../../src/suites/memory-hub/legacyParams.js';
import type { SearchHit } from '../../src/suites/memory-hub/search/HybridSearch.js';

type Reply = Record<string, unknown>;

/**
 * The orchestrator's `data`-envelope actions (memory_hub.md §2.4.2) on the hub's memory store.
 * Legacy wording for every error; the fixes (real semantic search, groups, honoured limits and
 * filters, existence checks, no cascade deadlock) are listed in contracts/memory-hub/README.md.
 */
export class MemoryOrchestratorService extends Agent {
  readonly name = 'MemoryOrchestratorService';
  override readonly legacyPort = 7140;
  override readonly legacyHealthPort = 7141;

  constructor(private readonly core: MemoryCore) {
    super();
  }

  /** Runs a store step; maps storage outcomes to legacy replies in one place. */
  private run(failMessage: string, busType: string, fn: () => Reply): Reply {
    try {
      return this.core.guard(fn);
    } catch (err) {
      return this.failure(err, failMessage, busType);
    }
  }

  private async runAsync(failMessage: string, busType: string, fn: () => Promise<Reply>): Promise<Reply> {
    try {
      return await this.core.guardAsync(fn);
    } catch (err) {
      return this.failure(err, failMessage, busType);
    }
  }

  private failure(err: unknown, failMessage: string, busType: string): Reply {
    if (err instanceof BreakerOpenError) return errorReply(err.message, { circuit_state: 'OPEN' });
    if (err instanceof MissingMemoryError) return errorReply(err.message);
    if (err instanceof MemoryInputError) return errorReply(`${failMessage}: ${err.message}`);
    const text = (err as Error).message;
    this.core.errors.report({ error_type: busType, message: text, agent: this.name });
    return errorReply(`${failMessage}: ${text}`);
  }

  private hitRows(hits: SearchHit[]): Reply[] {
    return hits.map((h) => ({ ...h.entry, search_score: h.score, ...(h.similarity !== undefined ? { similarity: h.similarity } : {}) }));
  }

  override actions(): Record<string, ActionDefinition> {
    const core = this.core;
    const act = <S extends z.ZodType>(params: S, description: string, handler: (p: z.output<S>) => unknown) =>
      defineAction({ params, description, handler });
    return {
      add_memory: act(C.addMemory, 'Store one memory (importance default 1.0, tier "short")', (p) =>
        this.run('Invalid memory format', 'add_memory_error', () => ({
          status: 'success',
          memory_id: core.store.add(p, { defaultImportance: 1.0 }),
        })),
      ),
      get_memory: act(C.getMemory, 'One memory by id; counts the access', (p) => {
        const id = p.memory_id;
        if (!truthy(id)) return errorReply('memory_id is required.');
        if (typeof id !== 'string') return errorReply('memory_id must be a string.');
        return this.run('Failed to get memory', 'get_memory_error', () => {
          const memory = core.store.get(id);
          return memory ? { status: 'success', memory } : errorReply(`Memory with ID ${id} not found.`);
        });
      }),
      get_children: act(C.getChildren, 'Children of a parent memory (limit/sort honoured)', (p) => {
        const parent = p.parent_id;
        if (!truthy(parent)) return errorReply('parent_id is required.');
        if (typeof parent !== 'string') return errorReply('parent_id must be a string.');
        const limit = p.limit === undefined || p.limit === null ? 0 : toInt(p.limit);
        if (limit === undefined || limit < 0) return errorReply('limit must be a non-negative integer.');
        const order = p.sort_order === undefined || p.sort_order === null ? 'asc' : String(p.sort_order).toLowerCase();
        if (order !== 'asc' && order !== 'desc') return errorReply('sort_order must be "asc" or "desc".');
        return this.run('Failed to get children', 'get_children_error', () => {
          const children = core.store.children(parent, {
            limit,
            sortField: typeof p.sort_field === 'string' ? p.sort_field : undefined,
            sortOrder: order,
          });
          // Legacy replied `children`; its clients read `results`: both are sent.
          return { status: 'success', children, results: children, count: children.length };
        });
      }),
      add_relationship: act(C.addRelationship, 'Directed relationship between two existing memories', (p) => {
        const { source_id: s, target_id: t, relationship_type: r } = p;
        if (!truthy(s) || !truthy(t) || !truthy(r)) return errorReply('source_id, target_id, and relationship_type are required.');
        if (typeof s !== 'string' || typeof t !== 'string' || typeof r !== 'string') {
          return errorReply('source_id, target_id, and relationship_type must be strings.');
        }
        const strength = p.strength === undefined || p.strength === null ? 1.0 : toNumber(p.strength);
        if (strength === undefined) return errorReply('strength must be a number.');
        return this.run('Failed to create relationship', 'add_relationship_error', () => ({
          status: 'success',
          relationship_id: core.graph.addRelationship(s, t, r, strength),
        }));
      }),
      get_related: act(C.getRelated, 'Outgoing relationships of a memory with their targets', (p) => {
        const id = p.memory_id;
        if (!truthy(id)) return errorReply('memory_id is required.');
        if (typeof id !== 'string') return errorReply('memory_id must be a string.');
        const type = typeof p.relationship_type === 'string' && p.relationship_type ? p.relationship_type : undefined;
        return this.run('Failed to get related memories', 'get_related_error', () => {
          const related = core.graph.related(id, type);
          return { status: 'success', related_memories: related, results: related, count: related.length };
        });
      }),
      search_memory: act(C.searchMemory, 'Hybrid search (substring + BM25 + embeddings, RRF); filters memory_type, parent_id', (p) => {
        const query = p.query;
        if (!truthy(query)) return errorReply('query is required.');
        if (typeof query !== 'string') return errorReply('query must be a string.');
        const limit = toLimit(p.limit, 10);
        if (limit === undefined) return errorReply('limit must be a positive integer.');
        const filters = {
          ...(typeof p.memory_type === 'string' && p.memory_type ? { memory_type: p.memory_type } : {}),
          ...(typeof p.parent_id === 'string' && p.parent_id ? { parent_id: p.parent_id } : {}),
        };
        return this.runAsync('Failed to search memories', 'search_error', async () => {
          const results = this.hitRows(await core.search.search({ query, limit, filters, substring: true }));
          return { status: 'success', results, count: results.length };
        });
      }),
      semantic_search: act(C.semanticSearch, 'Embedding similarity fused with BM25 (RRF); filters honoured', (p) => {
        const query = p.query;
        if (!truthy(query)) return errorReply('query is required.');
        if (typeof query !== 'string') return errorReply('query must be a string.');
        const k = toLimit(p.k, 5);
        if (k === undefined) return errorReply('k must be a positive integer.');
        if (p.filters !== undefined && p.filters !== null && !isPlainObject(p.filters)) return errorReply('filters must be an object.');
        const f = (p.filters ?? {}) as Record<string, unknown>;
        const filters: Record<string, string> = {};
        for (const key of ['memory_type', 'parent_id', 'namespace'] as const) {
          if (typeof f[key] === 'string' && f[key]) filters[key] = f[key] as string;
        }
        const mode = p.mode ?? 'hybrid';
        if (mode !== 'hybrid' && mode !== 'semantic' && mode !== 'lexical') return errorReply('mode must be hybrid, semantic or lexical.');
        return this.runAsync('Failed to search memories', 'search_error', async () => {
          const results = this.hitRows(await core.search.search({ query, limit: k, filters, mode }));
          return {
            status: 'success',
            message:
              mode === 'hybrid'
                ? 'Hybrid search: embedding similarity and BM25 merged by reciprocal-rank fusion'
                : mode === 'semantic'
                  ? 'Semantic search: embedding similarity'
                  : 'Lexical search: BM25',
            results,
            count: results.length,
          };
        });
      }),
      update_memory: act(C.updateMemory, 'Set MemoryEntry fields of a memory (validated; metadata replaced)', (p) => {
        const id = p.memory_id;
        if (!truthy(id)) return errorReply('memory_id is required.');
        if (typeof id !== 'string') return errorReply('memory_id must be a string.');
        const given = p.update_data ?? {};
        if (!isPlainObject(given)) return errorReply('update_data must be an object.');
        // update_data names the fields (legacy); MemoryEntry fields sent beside it (top level, data,
        // payload) count too. Keys of update_data that are no updatable field are skipped as in legacy
        // (vector #50), but an update that changes no field is refused: legacy answered success.
        const updatable = UPDATABLE_FIELDS as readonly string[];
        const data: Record<string, unknown> = {};
        for (const f of updatable) if (f in p) data[f] = (p as Record<string, unknown>)[f];
        for (const [k, v] of Object.entries(given)) if (updatable.includes(k)) data[k] = v;
        if (!Object.keys(data).length) {
          const stray = Object.keys(given).filter((k) => k !== 'memory_id');
          return errorReply(`update_memory changed nothing: ${stray.length ? `update_data field${stray.length > 1 ? 's' : ''} ${stray.map((k) => `'${k}'`).join(', ')} cannot be updated; ` : ''}`
            + `give at least one of ${UPDATABLE_FIELDS.join(', ')} in update_data or beside memory_id.`);
        }
        return this.run('Failed to update memory', 'update_memory_error', () =>
          core.store.update(id, data) ? { status: 'success' } : errorReply(`Memory with ID ${id} not found.`),
        );
      }),
      delete_memory: act(C.deleteMemory, 'Delete a memory; cascade (default false) deletes descendants too', (p) => {
        const id = p.memory_id;
        if (!truthy(id)) return errorReply('memory_id is required.');
        if (typeof id !== 'string') return errorReply('memory_id must be a string.');
        if (p.cascade !== undefined && p.cascade !== null && typeof p.cascade !== 'boolean') return errorReply('cascade must be a boolean.');
        return this.run('Failed to delete memory', 'delete_error', () => {
          const deleted = core.store.delete(id, p.cascade === true);
          if (!deleted) return errorReply(`Memory with ID ${id} not found.`);
          return { status: 'success', message: `Memory ${id} deleted successfully.`, deleted_count: deleted.length };
        });
      }),
      reinforce_memory: act(C.reinforceMemory, 'importance = min(importance × factor, 1.0)', (p) => {
        const id = p.memory_id;
        if (!truthy(id)) return errorReply('memory_id is required.');
        if (typeof id !== 'string') return errorReply('memory_id must be a string.');
        const factor = p.reinforcement_factor === undefined || p.reinforcement_factor === null ? 1.2 : toNumber(p.reinforcement_factor);
        if (factor === undefined || factor <= 0) return errorReply('reinforcement_factor must be a positive number.');
        return this.run('Failed to reinforce memory', 'reinforce_error', () => {
          const value = core.store.reinforce(id, factor);
          return value === undefined ? errorReply(`Memory with ID ${id} not found.`) : { status: 'success', new_importance: value };
        });
      }),
      create_context_group: act(C.createContextGroup, 'New context group; integer id', (p) => {
        if (!truthy(p.name)) return errorReply('name is required.');
        if (typeof p.name !== 'string') return errorReply('name must be a string.');
        if (p.description !== undefined && p.description !== null && typeof p.description !== 'string') {
          return errorReply('description must be a string.');
        }
        const description = (p.description as string | null | undefined) ?? null;
        const name = p.name;
        return this.run('Failed to create context group', 'create_group_error', () => ({
          status: 'success',
          group_id: core.graph.createGroup(name, description),
        }));
      }),
      add_to_group: act(C.addToGroup, 'Put an existing memory into an existing group (idempotent)', (p) => {
        if (!truthy(p.memory_id) || !truthy(p.group_id)) return errorReply('memory_id and group_id are required.');
        if (typeof p.memory_id !== 'string') return errorReply('memory_id must be a string.');
        const groupId = toInt(p.group_id);
        if (groupId === undefined) return errorReply('group_id must be convertible to an integer.');
        const memoryId = p.memory_id;
        return this.run('Failed to add memory to group', 'add_to_group_error', () => {
          const added = core.graph.addToGroup(memoryId, groupId);
          return { status: 'success', added };
        });
      }),
      get_memories_by_group: act(C.getMemoriesByGroup, 'Members of a context group', (p) => {
        if (!truthy(p.group_id)) return errorReply('group_id is required.');
        const groupId = toInt(p.group_id);
        if (groupId === undefined) return errorReply('group_id must be convertible to an integer.');
        return this.run('Failed to get group memories', 'get_group_error', () => {
          const group = core.graph.getGroup(groupId);
          if (!group) return errorReply(`Context group ${groupId} not found.`);
          const memories = core.graph.groupMembers(groupId);
          return { status: 'success', group, memories, count: memories.length };
        });
      }),
      batch_add_memories: act(C.batchAddMemories, 'Add many memories in one transaction; invalid items skipped', (p) => {
        const items = p.memories;
        if (!Array.isArray(items) || items.length === 0) return errorReply('No memories provided.');
        if (items.length > core.options.maxBatch) return errorReply(`Too many memories in one batch (at most ${core.options.maxBatch}).`);
        return this.run('Batch operation failed', 'batch_add_error', () => {
          const { ids, skipped } = core.store.addMany(items);
          return { status: 'success', message: `Added ${ids.length} memories`, memory_ids: ids, skipped };
        });
      }),
      batch_get_memories: act(C.batchGetMemories, 'Many memories by id; unknown ids skipped', (p) => {
        const ids = p.memory_ids;
        if (!Array.isArray(ids) || ids.length === 0) return errorReply('No memory_ids provided.');
        if (!ids.every((i) => typeof i === 'string')) return errorReply('memory_ids must be a list of strings.');
        if (ids.length > core.options.maxBatch) return errorReply(`Too many memory_ids in one batch (at most ${core.options.maxBatch}).`);
        return this.run('Batch operation failed', 'batch_get_error', () => {
          const memories = core.store.getMany(ids as string[]);
          return { status: 'success', memories, count: memories.length };
        });
      }),
      get_memory_system_status: act(C.getMemorySystemStatus, 'Totals for MemoryScheduler / SystemHealthManager', () =>
        this.run('Failed to get memory system status', 'system_status_error', () => {
          const issues: string[] = [];
          if (!core.redis.available) issues.push('redis unavailable: cache disabled, serving from SQLite');
          const pending = core.vectors.pending();
          if (pending > 0) issues.push(`${pending} memories waiting for embedding`);
          let dbBytes = 0;
          try {
            dbBytes = statSync(core.db.name).size + (statSync(`${core.db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0);
          } catch {
            /* in-memory database */
          }
          return {
            status: 'success',
            system_status: {
              total_memories: core.store.count(),
              memory_by_tier: core.store.countByTier(),
              db_size_mb: Math.round((dbBytes / 1048576) * 1000) / 1000,
              cache_hit_rate: null,
              issues,
            },
          };
        }),
      ),
    };
  }

  override health(): Record<string, unknown> {
    return { circuit_breaker: this.core.breaker.snapshot() };
  }
}

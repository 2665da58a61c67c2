import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { GroupCommit } from '../../../stores/sqlite/GroupCommit.js';
import { newMemoryId } from './memoryIds.js';
import type { MemoryCache } from './MemoryCache.js';
import {
  describeZodIssues,
  memoryInputSchema,
  nowSeconds,
  rowToEntry,
  UPDATABLE_FIELDS,
  type EntryLimits,
  type MemoryEntry,
  type MemoryInput,
  type MemoryRow,
} from './memoryRecord.js';

/** Thrown for input the store refuses; the message is meant for the client. */
export class MemoryInputError extends Error {
  override readonly name = 'MemoryInputError';
}

export interface AddOptions {
  /** Importance when the client gives none (add_memory: 1.0, batch/model default: 0.5). */
  defaultImportance?: number;
}

export interface ChildrenOptions {
  limit?: number;
  sortField?: string;
  sortOrder?: 'asc' | 'desc';
}

const SORTABLE = new Set(['created_at', 'last_accessed_at', 'importance', 'access_count', 'seq']);

/**
 * Durable memory records in SQLite (the truth) with the Redis `mem:` copy kept coherent.
 * better-sqlite3 is synchronous, so each method is one atomic step that no other request can
 * interleave with; multi-row writes run in one transaction (all or nothing). Writes go through
 * group commit: concurrent requests share one COMMIT, and their replies wait for it.
 */
export class MemoryStore {
  private readonly schema;
  private readonly stmt;
  private readonly commits: GroupCommit;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly cache: MemoryCache | undefined,
    readonly limits: EntryLimits,
  ) {
    this.schema = memoryInputSchema(limits);
    this.commits = GroupCommit.for(db);
    this.stmt = {
      upsert: db.prepare(`INSERT INTO memories (memory_id, content, memory_type, memory_tier, importance, access_count,
          last_accessed_at, created_at, expires_at, metadata, tags, relationships, parent_id, updated_at, decayed_at)
        VALUES (@memory_id, @content, @memory_type, @memory_tier, @importance, @access_count, @last_accessed_at,
          @created_at, @expires_at, @metadata, @tags, @relationships, @parent_id, @updated_at, @decayed_at)
        ON CONFLICT(memory_id) DO UPDATE SET content = excluded.content, memory_type = excluded.memory_type,
          memory_tier = excluded.memory_tier, importance = excluded.importance, access_count = excluded.access_count,
          last_accessed_at = excluded.last_accessed_at, created_at = excluded.created_at, expires_at = excluded.expires_at,
          metadata = excluded.metadata, tags = excluded.tags, relationships = excluded.relationships,
          parent_id = excluded.parent_id, updated_at = excluded.updated_at, decayed_at = excluded.decayed_at`),
      touch: db.prepare(`UPDATE memories SET access_count = access_count + 1, last_accessed_at = ?
        WHERE memory_id = ? RETURNING *`),
      byId: db.prepare('SELECT * FROM memories WHERE memory_id = ?'),
      bySeqs: db.prepare('SELECT * FROM memories WHERE seq IN (SELECT value FROM json_each(?))'),
      exists: db.prepare('SELECT 1 FROM memories WHERE memory_id = ?').pluck(),
      childIds: db.prepare('SELECT memory_id FROM memories WHERE parent_id = ?').pluck(),
      deleteOne: db.prepare('DELETE FROM memories WHERE memory_id = ?'),
      reinforce: db.prepare(`UPDATE memories SET importance = MIN(importance * ?, 1.0), last_accessed_at = ?, updated_at = ?
        WHERE memory_id = ? RETURNING importance`).pluck(),
    };
  }

  /** Validates one client-supplied entry; throws MemoryInputError with every problem listed. */
  validate(input: unknown): MemoryInput {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new MemoryInputError('expected an object');
    }
    const parsed = this.schema.safeParse(input);
    if (!parsed.success) throw new MemoryInputError(describeZodIssues(parsed.error));
    return parsed.data;
  }

  private toRow(input: MemoryInput, opts: AddOptions, now: number): Record<string, unknown> {
    return {
      memory_id: input.memory_id ?? newMemoryId(),
      content: input.content,
      memory_type: input.memory_type ?? 'general',
      memory_tier: input.memory_tier ?? 'short',
      importance: input.importance ?? opts.defaultImportance ?? 0.5,
      access_count: input.access_count ?? 0,
      last_accessed_at: input.last_accessed_at ?? now,
      created_at: input.created_at ?? now,
      expires_at: input.expires_at ?? null,
      metadata: JSON.stringify(input.metadata ?? {}),
      tags: JSON.stringify(input.tags ?? []),
      relationships: JSON.stringify(input.relationships ?? {}),
      parent_id: input.parent_id ?? null,
      updated_at: now,
      decayed_at: now,
    };
  }

  /** Adds (or, for an existing memory_id, replaces) one memory. Returns its id. */
  add(input: unknown, opts: AddOptions = {}): string {
    const valid = this.validate(input);
    const row = this.toRow(valid, opts, nowSeconds());
    this.commits.runStatement(() => this.stmt.upsert.run(row));
    // A freshly generated id has no cached copy to drop.
    if (valid.memory_id !== undefined) this.cache?.invalidate([row.memory_id as string]);
    return row.memory_id as string;
  }

  /** Adds every valid item in one transaction; invalid items are skipped and reported by index. */
  addMany(items: unknown[], opts: AddOptions = {}): { ids: string[]; skipped: Array<{ index: number; reason: string }> } {
    const now = nowSeconds();
    const rows: Record<string, unknown>[] = [];
    const skipped: Array<{ index: number; reason: string }> = [];
    const clientIds: string[] = [];
    items.forEach((item, index) => {
      try {
        const valid = this.validate(item);
        if (valid.memory_id !== undefined) clientIds.push(valid.memory_id);
        rows.push(this.toRow(valid, opts, now));
      } catch (err) {
        skipped.push({ index, reason: (err as Error).message });
      }
    });
    this.commits.run(() => {
      for (const r of rows) this.stmt.upsert.run(r);
    });
    const ids = rows.map((r) => r.memory_id as string);
    this.cache?.invalidate(clientIds);
    return { ids, skipped };
  }

  exists(id: string): boolean {
    return this.stmt.exists.get(id) === 1;
  }

  /** Reads without side effects. */
  peek(id: string): MemoryEntry | undefined {
    const row = this.stmt.byId.get(id) as MemoryRow | undefined;
    return row ? rowToEntry(row) : undefined;
  }

  /** Reads one memory, counting the access (access_count+1, last_accessed_at=now) in the same statement. */
  get(id: string): MemoryEntry | undefined {
    const row = this.commits.runStatement(() => this.stmt.touch.get(nowSeconds(), id)) as MemoryRow | undefined;
    if (!row) return undefined;
    const entry = rowToEntry(row);
    this.cache?.put([entry]);
    return entry;
  }

  /** Reads many in one transaction, skipping unknown ids, counting each access. Order follows `ids`. */
  getMany(ids: string[]): MemoryEntry[] {
    const now = nowSeconds();
    const out = this.commits.run(() => {
      const found: MemoryEntry[] = [];
      for (const id of ids) {
        const row = this.stmt.touch.get(now, id) as MemoryRow | undefined;
        if (row) found.push(rowToEntry(row));
      }
      return found;
    });
    this.cache?.put(out);
    return out;
  }

  /** Children of a parent. Unlike legacy, limit and sort are honoured (they are what clients send). */
  children(parentId: string, opts: ChildrenOptions = {}): MemoryEntry[] {
    const field = opts.sortField && SORTABLE.has(opts.sortField) ? opts.sortField : 'created_at';
    const order = opts.sortOrder === 'desc' ? 'DESC' : 'ASC';
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : -1;
    const rows = this.db
      .prepare(`SELECT * FROM memories WHERE parent_id = ? ORDER BY ${field} ${order}, seq ${order} LIMIT ?`)
      .all(parentId, limit) as MemoryRow[];
    return rows.map(rowToEntry);
  }

  /**
   * Applies the MemoryEntry fields named in `updateData` (others are ignored, as in legacy), but
   * validated: a bad value rejects the whole update and nothing is written. Returns false if absent.
   */
  update(id: string, updateData: Record<string, unknown>): boolean {
    const current = this.stmt.byId.get(id) as MemoryRow | undefined;
    if (!current) return false;
    const merged: Record<string, unknown> = { ...rowToEntry(current) };
    for (const f of UPDATABLE_FIELDS) if (f in updateData) merged[f] = updateData[f];
    const input = this.validate(merged);
    const now = nowSeconds();
    const row = this.toRow({ ...input, memory_id: id }, {}, now);
    row.decayed_at = current.decayed_at;
    this.commits.runStatement(() => this.stmt.upsert.run(row));
    this.cache?.invalidate([id]);
    return true;
  }

  /**
   * Deletes a memory; with `cascade`, every descendant too (walked iteratively with a visited set,
   * so cycles and deep trees are fine; legacy recursed under its own lock and deadlocked).
   * Relationships and group mappings go with their memories (foreign keys). One transaction.
   * Returns the deleted ids, or undefined when the memory does not exist.
   */
  delete(id: string, cascade: boolean): string[] | undefined {
    const deleted = this.commits.run(() => {
      if (!this.exists(id)) return undefined;
      const ids = [id];
      if (cascade) {
        const seen = new Set(ids);
        for (let i = 0; i < ids.length; i++) {
          for (const child of this.stmt.childIds.all(ids[i]) as string[]) {
            if (!seen.has(child)) {
              seen.add(child);
              ids.push(child);
            }
          }
        }
      }
      for (const m of ids) this.stmt.deleteOne.run(m);
      return ids;
    });
    if (deleted) this.cache?.invalidate(deleted);
    return deleted;
  }

  /** new = min(old × factor, 1.0); last_accessed_at = now. Undefined when absent. */
  reinforce(id: string, factor: number): number | undefined {
    const now = nowSeconds();
    const value = this.commits.runStatement(() => this.stmt.reinforce.get(factor, now, now, id)) as number | undefined;
    if (value !== undefined) this.cache?.invalidate([id]);
    return value;
  }

  /** Memories of one type, most important first (ExperienceTracker's retrieve). */
  listByType(memoryType: string, limit: number, now = nowSeconds()): MemoryEntry[] {
    const rows = this.db
      .prepare(`SELECT * FROM memories WHERE memory_type = ? AND (expires_at IS NULL OR expires_at > ?)
        ORDER BY importance DESC, last_accessed_at DESC LIMIT ?`)
      .all(memoryType, now, limit) as MemoryRow[];
    return rows.map(rowToEntry);
  }

  /** Deletes memories whose expires_at has passed; returns how many. */
  deleteExpired(now = nowSeconds()): number {
    const ids = this.db.prepare('SELECT memory_id FROM memories WHERE expires_at IS NOT NULL AND expires_at <= ?').pluck().all(now) as string[];
    if (ids.length === 0) return 0;
    this.db.transaction(() => {
      for (const id of ids) this.stmt.deleteOne.run(id);
    })();
    this.cache?.invalidate(ids);
    return ids.length;
  }

  count(): number {
    return this.db.prepare('SELECT COUNT(*) FROM memories').pluck().get() as number;
  }

  countByTier(): Record<string, number> {
    const rows = this.db.prepare('SELECT memory_tier AS t, COUNT(*) AS n FROM memories GROUP BY memory_tier').all() as Array<{ t: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  }

  /** Fetches rows by seq (search results), preserving the given order and skipping deleted ones. */
  bySeq(seqs: number[]): Array<{ seq: number; entry: MemoryEntry }> {
    if (seqs.length === 0) return [];
    // One statement for any count (a statement per call left a native object for the GC on every search).
    const rows = this.stmt.bySeqs.all(JSON.stringify(seqs)) as MemoryRow[];
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    return seqs.flatMap((s) => {
      const r = bySeq.get(s);
      return r ? [{ seq: s, entry: rowToEntry(r) }] : [];
    });
  }
}

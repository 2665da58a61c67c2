import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { nowSeconds, rowToEntry, type MemoryEntry, type MemoryRow } from './memoryRecord.js';

export interface RelatedMemory {
  relationship: { type: string; strength: number; created_at: number };
  memory: Pick<MemoryEntry, 'memory_id' | 'content' | 'memory_type' | 'memory_tier' | 'importance'>;
}

export interface ContextGroup {
  group_id: number;
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

/** Thrown when an id the caller named does not exist (the agent words the reply). */
export class MissingMemoryError extends Error {
  override readonly name = 'MissingMemoryError';
  constructor(readonly kind: 'memory' | 'group', readonly id: string | number) {
    super(kind === 'memory' ? `Memory with ID ${id} not found.` : `Context group ${id} not found.`);
  }
}

/** Relationships between memories and context groups (memory_hub.md §2.4.2, §2.4.3). */
export class MemoryGraph {
  constructor(private readonly db: SqliteDatabase) {}

  private requireMemory(id: string): void {
    if (!this.db.prepare('SELECT 1 FROM memories WHERE memory_id = ?').get(id)) throw new MissingMemoryError('memory', id);
  }

  /** Adds a directed edge. Both memories must exist (legacy did not check; dangling edges were invisible). */
  addRelationship(source: string, target: string, type: string, strength: number): number {
    return this.db.transaction(() => {
      this.requireMemory(source);
      this.requireMemory(target);
      const now = nowSeconds();
      const info = this.db
        .prepare(`INSERT INTO memory_relationships (source_memory_id, target_memory_id, relationship_type, strength, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?)`)
        .run(source, target, type, strength, now, now);
      return Number(info.lastInsertRowid);
    })();
  }

  /** Outgoing edges of a memory joined to their (existing) targets, strongest first. */
  related(memoryId: string, relationshipType?: string): RelatedMemory[] {
    const rows = this.db
      .prepare(`SELECT r.relationship_type AS type, r.strength, r.created_at AS rel_created_at,
          m.memory_id, m.content, m.memory_type, m.memory_tier, m.importance
        FROM memory_relationships r JOIN memories m ON m.memory_id = r.target_memory_id
        WHERE r.source_memory_id = ? ${relationshipType ? 'AND r.relationship_type = ?' : ''}
        ORDER BY r.strength DESC, r.id ASC`)
      .all(...(relationshipType ? [memoryId, relationshipType] : [memoryId])) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      relationship: { type: r.type as string, strength: r.strength as number, created_at: r.rel_created_at as number },
      memory: {
        memory_id: r.memory_id as string,
        content: r.content as string,
        memory_type: r.memory_type as string,
        memory_tier: r.memory_tier as MemoryEntry['memory_tier'],
        importance: r.importance as number,
      },
    }));
  }

  /** Ids of outgoing relationship targets (used by consolidation). */
  targetIds(memoryId: string): string[] {
    return this.db.prepare('SELECT DISTINCT target_memory_id FROM memory_relationships WHERE source_memory_id = ?').pluck().all(memoryId) as string[];
  }

  createGroup(name: string, description: string | null): number {
    const now = nowSeconds();
    const info = this.db
      .prepare('INSERT INTO context_groups (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)')
      .run(name, description, now, now);
    return Number(info.lastInsertRowid);
  }

  getGroup(groupId: number): ContextGroup | undefined {
    const row = this.db.prepare('SELECT id, name, description, created_at, updated_at FROM context_groups WHERE id = ?').get(groupId) as
      | { id: number; name: string; description: string | null; created_at: number; updated_at: number }
      | undefined;
    return row && { group_id: row.id, name: row.name, description: row.description, created_at: row.created_at, updated_at: row.updated_at };
  }

  /** Adds a memory to a group; both must exist; adding twice is a no-op (legacy stored duplicates). */
  addToGroup(memoryId: string, groupId: number): boolean {
    return this.db.transaction(() => {
      this.requireMemory(memoryId);
      if (!this.getGroup(groupId)) throw new MissingMemoryError('group', groupId);
      const dup = this.db.prepare('SELECT 1 FROM memory_group_mappings WHERE memory_id = ? AND group_id = ?').get(memoryId, groupId);
      if (dup) return false;
      const now = nowSeconds();
      this.db.prepare('INSERT INTO memory_group_mappings (memory_id, group_id, created_at) VALUES (?, ?, ?)').run(memoryId, groupId, now);
      this.db.prepare('UPDATE context_groups SET updated_at = ? WHERE id = ?').run(now, groupId);
      return true;
    })();
  }

  /** Members of a group in the order they were added. */
  groupMembers(groupId: number): MemoryEntry[] {
    const rows = this.db
      .prepare(`SELECT m.* FROM memory_group_mappings g JOIN memories m ON m.memory_id = g.memory_id
        WHERE g.group_id = ? ORDER BY g.id`)
      .all(groupId) as MemoryRow[];
    return rows.map(rowToEntry);
  }

  counts(): { relationships: number; groups: number } {
    return {
      relationships: this.db.prepare('SELECT COUNT(*) FROM memory_relationships').pluck().get() as number,
      groups: this.db.prepare('SELECT COUNT(*) FROM context_groups').pluck().get() as number,
    };
  }
}

import { field } from '../values.js';
import { RejectError, type SourceUnit } from '../types.js';
import { hasColumns, leftoverUnits, tableUnit, unitId, type LegacyDb } from './legacyDb.js';
import { memoryMapping, memoryTarget } from './memoryRows.js';

/**
 * MemoryOrchestratorService's `data/unified_memory.db` (memory_hub.md §2.4.3): memories,
 * relationships, context groups and group mappings, into MemoryHub's tables of the same names.
 */
export const KIND = 'orchestrator';

export function detect(src: LegacyDb): boolean {
  // The new schema's memories table has seq/decayed_at; a legacy one has neither.
  return hasColumns(src, 'memories', ['memory_id', 'content', 'memory_tier']) && !hasColumns(src, 'memories', ['decayed_at']);
}

export function units(src: LegacyDb): SourceUnit[] {
  const groupsUnit = unitId(KIND, src.rel, 'context_groups');
  const out: SourceUnit[] = [
    tableUnit(src, { kind: KIND, table: 'memories', suite: 'memory-hub', order: 10, keyColumn: 'memory_id', mapping: memoryMapping }),
    // KnowledgeBase facts were orchestrator memories (memory_hub.md §2.3); the new KnowledgeBase
    // keeps its own table, so facts with a topic are also copied there (same memory_id).
    tableUnit(src, {
      kind: KIND, table: 'memories', part: 'knowledge_facts', suite: 'memory-hub', order: 11, keyColumn: 'memory_id',
      where: `memory_type = 'knowledge_fact' AND (CASE WHEN json_valid(metadata) THEN json_type(metadata, '$.topic') END) = 'text'`,
      mapping: {
        targetTable: 'knowledge_base',
        naturalKey: ['memory_id'],
        compare: ['memory_id', 'topic', 'content', 'metadata', 'tags', 'importance', 'created_at'],
        jsonColumns: ['metadata', 'tags'],
        toTarget: (row, ctx) => {
          const m = memoryTarget(row, ctx);
          const topic = (JSON.parse(m.metadata as string) as { topic: string }).topic;
          return {
            memory_id: m.memory_id, topic, content: m.content, metadata: m.metadata, tags: m.tags, importance: m.importance,
            access_count: m.access_count, last_accessed_at: m.last_accessed_at, created_at: m.created_at, updated_at: ctx.now,
          };
        },
      },
    }),
  ];
  if (src.tables.has('memory_relationships')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'memory_relationships', suite: 'memory-hub', order: 20, keyColumn: 'id',
      mapping: {
        targetTable: 'memory_relationships',
        compare: ['source_memory_id', 'target_memory_id', 'relationship_type', 'strength', 'created_at', 'updated_at'],
        toTarget: (row) => ({
          source_memory_id: field.text(row, 'source_memory_id'),
          target_memory_id: field.text(row, 'target_memory_id'),
          relationship_type: field.text(row, 'relationship_type'),
          strength: field.real(row, 'strength', { nullable: true }),
          created_at: field.real(row, 'created_at', { nullable: true }),
          updated_at: field.real(row, 'updated_at', { nullable: true }),
        }),
      },
    }));
  }
  if (src.tables.has('context_groups')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'context_groups', suite: 'memory-hub', order: 15, keyColumn: 'id',
      mapping: {
        targetTable: 'context_groups',
        compare: ['name', 'description', 'created_at', 'updated_at'],
        toTarget: (row) => ({
          name: field.text(row, 'name'),
          description: field.text(row, 'description', { nullable: true }),
          created_at: field.real(row, 'created_at', { nullable: true }),
          updated_at: field.real(row, 'updated_at', { nullable: true }),
        }),
      },
    }));
  }
  if (src.tables.has('memory_group_mappings')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'memory_group_mappings', suite: 'memory-hub', order: 25, keyColumn: 'id',
      mapping: {
        targetTable: 'memory_group_mappings',
        compare: ['memory_id', 'group_id', 'created_at'],
        toTarget: (row, ctx) => {
          // Group ids are renumbered on import (the target may already have groups).
          const legacyGroup = field.int(row, 'group_id')!;
          const target = ctx.lookup(groupsUnit, String(legacyGroup));
          if (target === undefined) throw new RejectError(`context group ${legacyGroup} was not imported`);
          return { memory_id: field.text(row, 'memory_id'), group_id: Number(target), created_at: field.real(row, 'created_at', { nullable: true }) };
        },
      },
    }));
  }
  return [...out, ...leftoverUnits(src, KIND, 'memory-hub', ['memories', 'memory_relationships', 'context_groups', 'memory_group_mappings'])];
}

import { z } from 'zod';
import { checked, checkedRequired, digits, integerLike, numberLike, shapeOf, T } from '../agentChecked.js';
import type { JsonSchema } from '../../src/runtime/contractSchema.js';
import { memoryInputSchema, UPDATABLE_FIELDS } from '../../src/suites/memory-hub/memory/memoryRecord.js';

/**
 * MemoryOrchestratorService (legacy PC2 7140), memory_hub.md §2.4. Parameters arrive in a `data`
 * object (the runtime merges it into the parameter view). Fields are loosely typed on purpose:
 * the agent answers presence/type problems in the legacy wording ("memory_id is required."), and
 * the types it enforces are recorded for the published contracts (../agentChecked.ts).
 * Replies: `{status:"success", ...}` or `{status:"error", message, error}`.
 */
const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);

/** A MemoryEntry as the store validates it (src/suites/memory-hub/memory/memoryRecord.ts). */
// (The content size limit is a refinement, not part of the JSON Schema; config memory.max_content_bytes.)
const entry = shapeOf(memoryInputSchema({ maxContentBytes: 256 * 1024 }));
const entryField = (name: string): JsonSchema => (entry.properties as Record<string, JsonSchema>)[name]!;
const memoryId = checkedRequired(T.nonEmpty);
const positiveInteger = { anyOf: [{ type: 'integer', minimum: 1 }, digits] };

export const MemoryEntryFields = {
  memory_id: checked(entryField('memory_id'), 'generated "mem-<uuid>" (a time-ordered UUID v7) when absent'),
  content: checkedRequired(entryField('content'), 'at most config memory.max_content_bytes (256 KiB)'),
  memory_type: checked(entryField('memory_type'), 'default "general"'),
  memory_tier: checked(entryField('memory_tier'), 'add_memory default "short"'),
  importance: checked(entryField('importance'), '0..1; add_memory default 1.0, batch default 0.5'),
  access_count: checked(entryField('access_count')),
  last_accessed_at: checked(entryField('last_accessed_at'), 'epoch seconds or ISO-8601'),
  created_at: checked(entryField('created_at'), 'epoch seconds or ISO-8601'),
  expires_at: checked(entryField('expires_at'), 'epoch seconds, ISO-8601 or null; enforced by the TTL cleanup loop'),
  metadata: checked(entryField('metadata')),
  tags: checked(entryField('tags')),
  relationships: checked(entryField('relationships'), 'free-form: name → list of memory ids'),
  parent_id: checked(entryField('parent_id')),
};

export const addMemory = loose(MemoryEntryFields);
export const getMemory = loose({ memory_id: memoryId });
export const getChildren = loose({
  parent_id: checkedRequired(T.nonEmpty),
  limit: checked({ anyOf: [{ type: 'integer', minimum: 0 }, digits] }, 'default 0 = all'),
  sort_field: checked({ enum: ['created_at', 'last_accessed_at', 'importance', 'access_count'] }, 'default created_at'),
  sort_order: checked({ type: 'string', pattern: '^([aA][sS][cC]|[dD][eE][sS][cC])$' }, 'asc or desc (any case), default asc'),
});
export const addRelationship = loose({
  source_id: checkedRequired(T.nonEmpty),
  target_id: checkedRequired(T.nonEmpty),
  relationship_type: checkedRequired(T.nonEmpty),
  strength: checked(numberLike, 'default 1.0'),
});
export const getRelated = loose({ memory_id: memoryId, relationship_type: checked(T.string, 'only relationships of this type') });
export const searchMemory = loose({
  query: checkedRequired(T.nonEmpty),
  memory_type: checked(T.string),
  limit: checked(positiveInteger, 'default 10, at most 1000'),
  parent_id: checked(T.string),
});
export const semanticSearch = loose({
  query: checkedRequired(T.nonEmpty),
  k: checked(positiveInteger, 'default 5, at most 1000'),
  filters: checked(
    { type: 'object', properties: { memory_type: T.string, parent_id: T.string, namespace: T.string } },
    'other keys are ignored',
  ),
  mode: checked({ enum: ['hybrid', 'semantic', 'lexical'] }, 'default hybrid'),
});
/**
 * The fields to change go in `update_data` (legacy); MemoryEntry fields given in the parameter view
 * itself (top level, `data` or `payload`) are changed too, `update_data` winning per field.
 */
const updatableFields = Object.fromEntries(UPDATABLE_FIELDS.map((f) => [f, checked(entryField(f))])) as {
  [F in (typeof UPDATABLE_FIELDS)[number]]: ReturnType<typeof checked>;
};
export const updateMemory = loose({
  memory_id: memoryId,
  update_data: checked(
    { type: 'object', properties: Object.fromEntries(UPDATABLE_FIELDS.map((f) => [f, entryField(f)])) },
    'MemoryEntry fields to set (metadata is replaced); the same fields beside memory_id count too, update_data winning',
  ),
  ...updatableFields,
});
export const deleteMemory = loose({ memory_id: memoryId, cascade: checked(T.boolean, 'default false') });
export const reinforceMemory = loose({ memory_id: memoryId, reinforcement_factor: checked(numberLike, 'positive, default 1.2') });
export const createContextGroup = loose({ name: checkedRequired(T.nonEmpty), description: checked({ type: ['string', 'null'] }) });
export const addToGroup = loose({ memory_id: memoryId, group_id: checkedRequired(integerLike) });
export const getMemoriesByGroup = loose({ group_id: checkedRequired(integerLike) });
export const batchAddMemories = loose({
  // Items that are not valid entries are skipped (and listed in `skipped`), so none is refused outright.
  memories: checkedRequired(
    { type: 'array', minItems: 1, items: { ...entry, required: undefined } },
    'MemoryEntry objects as for add_memory; an item without content (or otherwise invalid) is skipped and listed in `skipped`',
  ),
});
export const batchGetMemories = loose({ memory_ids: checkedRequired({ type: 'array', minItems: 1, items: T.string }, 'unknown ids are skipped') });
export const getMemorySystemStatus = loose({});

import { z } from 'zod';

/**
 * MemoryOrchestratorService (legacy PC2 7140), memory_hub.md §2.4. Parameters arrive in a `data`
 * object (the runtime merges it into the parameter view). Fields are loosely typed on purpose:
 * the agent answers presence/type problems in the legacy wording ("memory_id is required.").
 * Replies: `{status:"success", ...}` or `{status:"error", message, error}`.
 */
const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);
const any = z.unknown().optional();

export const MemoryEntryFields = {
  memory_id: any.describe('string; generated "mem-<uuid4>" when absent'),
  content: any.describe('string, required; at most config memory.max_content_bytes (256 KiB)'),
  memory_type: any.describe('string, default "general"'),
  memory_tier: any.describe('"short" | "medium" | "long"; add_memory default "short"'),
  importance: any.describe('number 0..1; add_memory default 1.0, batch default 0.5'),
  access_count: any,
  last_accessed_at: any.describe('epoch seconds or ISO-8601'),
  created_at: any.describe('epoch seconds or ISO-8601'),
  expires_at: any.describe('epoch seconds, ISO-8601 or null; enforced by the TTL cleanup loop'),
  metadata: any.describe('object'),
  tags: any.describe('array of strings'),
  relationships: any.describe('object of string arrays (free-form)'),
  parent_id: any.describe('string or null'),
};

export const addMemory = loose(MemoryEntryFields);
export const getMemory = loose({ memory_id: any });
export const getChildren = loose({
  parent_id: any,
  limit: any.describe('positive integer; default all'),
  sort_field: any.describe('created_at | last_accessed_at | importance | access_count; default created_at'),
  sort_order: any.describe('asc | desc; default asc'),
});
export const addRelationship = loose({ source_id: any, target_id: any, relationship_type: any, strength: any.describe('number, default 1.0') });
export const getRelated = loose({ memory_id: any, relationship_type: any });
export const searchMemory = loose({ query: any, memory_type: any, limit: any.describe('default 10'), parent_id: any });
export const semanticSearch = loose({
  query: any,
  k: any.describe('default 5'),
  filters: any.describe('{memory_type?, parent_id?, namespace?}'),
  mode: any.describe('hybrid (default) | semantic | lexical'),
});
/**
 * The fields to change go in `update_data` (legacy); MemoryEntry fields given in the parameter view
 * itself (top level, `data` or `payload`) are changed too, `update_data` winning per field.
 */
const { memory_id: _id, ...updatableFields } = MemoryEntryFields;
export const updateMemory = loose({ memory_id: any, update_data: any.describe('object of MemoryEntry fields'), ...updatableFields });
export const deleteMemory = loose({ memory_id: any, cascade: any.describe('boolean, default false') });
export const reinforceMemory = loose({ memory_id: any, reinforcement_factor: any.describe('positive number, default 1.2') });
export const createContextGroup = loose({ name: any, description: any });
export const addToGroup = loose({ memory_id: any, group_id: any.describe('integer or integer string') });
export const getMemoriesByGroup = loose({ group_id: any });
export const batchAddMemories = loose({ memories: any.describe('non-empty list of MemoryEntry objects') });
export const batchGetMemories = loose({ memory_ids: any.describe('non-empty list of memory ids') });
export const getMemorySystemStatus = loose({});

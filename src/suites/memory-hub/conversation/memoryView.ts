import type { InteractionRecord } from './SessionService.js';
import type { MemoryEntry } from '../memory/memoryRecord.js';

/**
 * The orchestrator's MemoryEntry shape (memory_hub.md §2.4.1). Legacy SessionMemoryAgent and
 * KnowledgeBase stored their items as orchestrator memories, so their clients read this shape.
 */
export type MemoryEntryView = MemoryEntry;

export function interactionAsMemory(i: InteractionRecord): MemoryEntryView {
  return {
    memory_id: i.interaction_id,
    content: i.content,
    memory_type: 'interaction',
    memory_tier: 'short',
    importance: i.importance,
    access_count: i.access_count,
    last_accessed_at: i.last_accessed_at,
    created_at: i.created_at,
    expires_at: null,
    metadata: i.metadata,
    tags: i.tags,
    relationships: {},
    parent_id: i.session_id,
  };
}

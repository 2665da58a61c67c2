import type { MemoryStore } from '../memory/MemoryStore.js';
import type { MemoryEntry } from '../memory/memoryRecord.js';

export const EXPERIENCE_TYPE = 'experience';

/** A stored experience in the shape the tracker's clients read (MemoryManager's retrieve_memory). */
export interface ExperienceView {
  memory_id: string;
  content: string;
  memory_type: string;
  importance_score: number;
  access_count: number;
  last_accessed: string;
  created_at: string;
  metadata: Record<string, unknown>;
  expires_at: string | null;
}

const iso = (epoch: number): string => new Date(epoch * 1000).toISOString();

/**
 * ExperienceTracker re-homed onto the memory store (memory_hub.md §5.7): an experience is a
 * memory of type "experience" with importance = importance_score and expires_at converted from
 * ISO to epoch. Retrieval skips expired ones and counts the access.
 */
export class ExperienceService {
  constructor(private readonly store: MemoryStore) {}

  track(input: { content: string; importance: number; metadata: Record<string, unknown>; expiresAt: string | null }): string {
    return this.store.add(
      {
        content: input.content,
        memory_type: EXPERIENCE_TYPE,
        memory_tier: 'medium',
        importance: Math.min(1, Math.max(0, input.importance)),
        metadata: input.metadata,
        expires_at: input.expiresAt,
      },
      {},
    );
  }

  list(limit: number): ExperienceView[] {
    const ids = this.store.listByType(EXPERIENCE_TYPE, limit).map((e) => e.memory_id);
    return this.store.getMany(ids).map(toView);
  }
}

function toView(e: MemoryEntry): ExperienceView {
  return {
    memory_id: e.memory_id,
    content: e.content,
    memory_type: e.memory_type,
    importance_score: e.importance,
    access_count: e.access_count,
    last_accessed: iso(e.last_accessed_at),
    created_at: iso(e.created_at),
    metadata: e.metadata,
    expires_at: e.expires_at === null ? null : iso(e.expires_at),
  };
}

import { z } from 'zod';

/** The orchestrator's MemoryEntry as it travels on the wire (memory_hub.md §2.4.1). Times are epoch seconds. */
export interface MemoryEntry {
  memory_id: string;
  content: string;
  memory_type: string;
  memory_tier: MemoryTier;
  importance: number;
  access_count: number;
  last_accessed_at: number;
  created_at: number;
  expires_at: number | null;
  metadata: Record<string, unknown>;
  tags: string[];
  relationships: Record<string, string[]>;
  parent_id: string | null;
}

export const MEMORY_TIERS = ['short', 'medium', 'long'] as const;
export type MemoryTier = (typeof MEMORY_TIERS)[number];

/** A row of the `memories` table as better-sqlite3 returns it. */
export interface MemoryRow {
  seq: number;
  memory_id: string;
  content: string;
  memory_type: string;
  memory_tier: string;
  importance: number;
  access_count: number;
  last_accessed_at: number;
  created_at: number;
  expires_at: number | null;
  metadata: string;
  tags: string;
  relationships: string;
  parent_id: string | null;
  updated_at: number;
  decayed_at: number;
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function rowToEntry(row: MemoryRow): MemoryEntry {
  return {
    memory_id: row.memory_id,
    content: row.content,
    memory_type: row.memory_type,
    memory_tier: row.memory_tier as MemoryTier,
    importance: row.importance,
    access_count: row.access_count,
    last_accessed_at: row.last_accessed_at,
    created_at: row.created_at,
    expires_at: row.expires_at,
    metadata: parseJson(row.metadata, {}),
    tags: parseJson(row.tags, []),
    relationships: parseJson(row.relationships, {}),
    parent_id: row.parent_id,
  };
}

export const nowSeconds = (): number => Date.now() / 1000;

/** Lax number like pydantic's: numbers, or strings that hold a number. */
const laxNumber = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'expected a number')
    .meta({ title: 'numeric string' })
    .transform(Number),
]);
const finite = laxNumber.refine((n) => Number.isFinite(n), 'expected a finite number');
/** Epoch seconds, or an ISO-8601 string (ExperienceTracker and new clients send ISO). */
const timestamp = z.union([
  finite,
  z.string().meta({ title: 'ISO-8601 string' }).transform((s, ctx) => {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected epoch seconds or an ISO-8601 date' });
      return z.NEVER;
    }
    return ms / 1000;
  }),
]);

export interface EntryLimits {
  /** Largest accepted `content`, in UTF-8 bytes. */
  maxContentBytes: number;
}

/**
 * Schema of one MemoryEntry as a client supplies it (add_memory, batch_add_memories, update_data).
 * Unknown keys (created_by, session_id, ...) are dropped, as the legacy pydantic model did.
 */
export function memoryInputSchema(limits: EntryLimits) {
  return z.object({
    memory_id: z.string().min(1, 'memory_id must not be empty').max(512).optional(),
    content: z
      .string({ error: (i) => (i.input === undefined ? 'content is required' : 'content must be a string') })
      .refine((s) => Buffer.byteLength(s, 'utf8') <= limits.maxContentBytes, {
        message: `content is larger than the limit of ${limits.maxContentBytes} bytes`,
      }),
    memory_type: z.string().min(1).max(128).optional(),
    memory_tier: z.enum(MEMORY_TIERS, { error: 'memory_tier must be one of short, medium, long' }).optional(),
    importance: finite.refine((n) => n >= 0 && n <= 1, 'importance must be between 0 and 1').optional(),
    access_count: z.number().int().min(0).optional(),
    last_accessed_at: timestamp.optional(),
    created_at: timestamp.optional(),
    expires_at: timestamp.nullable().optional(),
    metadata: z.record(z.string(), z.unknown()).nullable().optional(),
    tags: z.array(z.string()).nullable().optional(),
    relationships: z.record(z.string(), z.array(z.string())).nullable().optional(),
    parent_id: z.string().nullable().optional(),
  });
}
export type MemoryInput = z.output<ReturnType<typeof memoryInputSchema>>;

/** Fields update_memory may change; memory_id is deliberately not among them (legacy copied the row). */
export const UPDATABLE_FIELDS = [
  'content',
  'memory_type',
  'memory_tier',
  'importance',
  'access_count',
  'last_accessed_at',
  'created_at',
  'expires_at',
  'metadata',
  'tags',
  'relationships',
  'parent_id',
] as const;

/** Formats zod issues as "field: problem; field: problem". */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

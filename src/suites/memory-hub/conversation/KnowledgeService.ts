import type { Logger } from '../../../runtime/logger.js';
import type { RedisConnections } from '../../../stores/redis/RedisConnections.js';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import type { ConversationSearch } from './ConversationSearch.js';
import type { ConversationVectors } from './ConversationVectors.js';
import { NotFoundError } from './errors.js';
import type { MemoryEntryView } from './memoryView.js';
import { newMemoryId, nowS, parseJson } from './util.js';

/** Legacy add_fact constants (memory_hub.md §2.3): tier long, importance 0.8, type knowledge_fact. */
export const FACT_IMPORTANCE = 0.8;
export const factKey = (id: string): string => `kb:fact:${id}`;
export const topicKey = (topic: string): string => `kb:topic:${topic.toLowerCase()}`;

interface FactRow {
  seq: number;
  memory_id: string;
  topic: string;
  content: string;
  metadata: string;
  tags: string;
  importance: number;
  access_count: number;
  last_accessed_at: number;
  created_at: number;
  updated_at: number;
}

export function factAsMemory(r: FactRow): MemoryEntryView {
  return {
    memory_id: r.memory_id,
    content: r.content,
    memory_type: 'knowledge_fact',
    memory_tier: 'long',
    importance: r.importance,
    access_count: r.access_count,
    last_accessed_at: r.last_accessed_at,
    created_at: r.created_at,
    expires_at: null,
    metadata: parseJson(r.metadata, {}),
    tags: parseJson(r.tags, []),
    relationships: {},
    parent_id: null,
  };
}

/**
 * KnowledgeBase facts: durable in `knowledge_base`, mirrored to Redis db2 (`kb:fact:<id>` JSON and
 * `kb:topic:<topic>` → newest fact id) for other PC2 readers. Lookup by topic uses the topic
 * itself first (legacy searched only content, so facts whose text lacks the topic were lost),
 * then hybrid search.
 */
export class KnowledgeService {
  private readonly stmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly redis: RedisConnections,
    private readonly vectors: ConversationVectors,
    private readonly search: ConversationSearch,
    private readonly log: Logger,
  ) {
    this.stmt = {
      insert: db.prepare(`INSERT INTO knowledge_base (memory_id, topic, content, metadata, tags, importance, access_count,
          last_accessed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`),
      byId: db.prepare('SELECT * FROM knowledge_base WHERE memory_id = ?'),
      byTopic: db.prepare('SELECT * FROM knowledge_base WHERE topic = ? COLLATE NOCASE ORDER BY seq DESC LIMIT 1'),
      touch: db.prepare('UPDATE knowledge_base SET access_count = access_count + 1, last_accessed_at = ? WHERE memory_id = ?'),
      update: db.prepare('UPDATE knowledge_base SET content = ?, updated_at = ?, last_accessed_at = ? WHERE memory_id = ?'),
      missing: db.prepare(`SELECT k.memory_id AS id, k.topic || ': ' || k.content AS text FROM knowledge_base k
        LEFT JOIN conversation_vectors v ON v.kind = 'fact' AND v.item_id = k.memory_id AND v.embedder = ?
        WHERE v.item_id IS NULL LIMIT ?`),
      count: db.prepare('SELECT COUNT(*) FROM knowledge_base').pluck(),
    };
  }

  private mirror(r: FactRow): void {
    const client = this.redis.client('knowledge');
    if (!client) return;
    client
      .multi()
      .set(factKey(r.memory_id), JSON.stringify(factAsMemory(r)))
      .set(topicKey(r.topic), r.memory_id)
      .exec()
      .catch((err: Error) => this.log.debug({ err: err.message }, 'knowledge mirror write failed'));
  }

  async add(topic: string, content: string): Promise<MemoryEntryView> {
    const now = nowS();
    const id = newMemoryId();
    const row = this.db.transaction(() => {
      this.stmt.insert.run(id, topic, content, JSON.stringify({ topic }), JSON.stringify([topic.toLowerCase()]), FACT_IMPORTANCE, now, now, now);
      return this.stmt.byId.get(id) as FactRow;
    })();
    this.mirror(row);
    await this.vectors.index('fact', [{ id, text: `${topic}: ${content}` }]);
    return factAsMemory(row);
  }

  /** Best fact for a topic: exact topic (newest) first, else the top search hit. Counts the access. */
  async findByTopic(topic: string): Promise<MemoryEntryView | undefined> {
    let row = this.stmt.byTopic.get(topic) as FactRow | undefined;
    if (!row) {
      const [hit] = await this.search.facts(topic, { limit: 1 });
      if (hit) row = this.stmt.byId.get(hit.id) as FactRow | undefined;
    }
    if (!row) return undefined;
    this.stmt.touch.run(nowS(), row.memory_id);
    return factAsMemory(this.stmt.byId.get(row.memory_id) as FactRow);
  }

  get(id: string): MemoryEntryView | undefined {
    const row = this.stmt.byId.get(id) as FactRow | undefined;
    return row ? factAsMemory(row) : undefined;
  }

  /** Replaces a fact's content. Unknown id → NotFoundError in the orchestrator's wording. */
  async update(id: string, content: string): Promise<MemoryEntryView> {
    const now = nowS();
    const row = this.db.transaction(() => {
      if (!this.stmt.byId.get(id)) throw new NotFoundError('Memory', id, `Memory with ID ${id} not found.`);
      this.stmt.update.run(content, now, now, id);
      return this.stmt.byId.get(id) as FactRow;
    })();
    this.mirror(row);
    await this.vectors.index('fact', [{ id, text: `${row.topic}: ${content}` }]);
    return factAsMemory(row);
  }

  async searchFacts(query: string, limit: number, semantic = true): Promise<Array<MemoryEntryView & { score: number }>> {
    const hits = await this.search.facts(query, { limit, semantic });
    return hits
      .map((h) => {
        const row = this.stmt.byId.get(h.id) as FactRow | undefined;
        return row ? { ...factAsMemory(row), score: h.score } : undefined;
      })
      .filter((x): x is MemoryEntryView & { score: number } => x !== undefined);
  }

  missingVectors(embedder: string, limit: number): Array<{ id: string; text: string }> {
    return this.stmt.missing.all(embedder, limit) as Array<{ id: string; text: string }>;
  }

  count(): number {
    return this.stmt.count.get() as number;
  }
}

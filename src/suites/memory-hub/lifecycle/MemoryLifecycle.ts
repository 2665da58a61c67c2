import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import type { MemoryCache } from '../memory/MemoryCache.js';
import { newMemoryId } from '../memory/memoryIds.js';
import { nowSeconds, type MemoryRow } from '../memory/memoryRecord.js';
import {
  CONSOLIDATED_IMPORTANCE,
  CONSOLIDATION_MIN_RELATED,
  decayedImportance,
  nextTier,
  summarize,
} from './decay.js';

export interface LifecycleReport {
  processed: number;
  decayed: number;
  promoted: number;
  consolidated: number;
  summarized: number;
  durationMs: number;
}

interface PendingConsolidation {
  id: string;
  members: Set<string>;
  create: boolean;
  /** Members to link once a new consolidated memory exists. */
  link?: string[];
}

/** Rows handled per synchronous transaction; the loop yields to the event loop between chunks. */
const CHUNK = 100;

/**
 * One pass of decay / tier promotion / consolidation over every non-long memory
 * (memory_hub.md §2.4.4, with the fixes listed in contracts/memory-hub/README.md).
 * Each chunk reads and writes inside one transaction, so a request can never slip a write in
 * between the read and the write-back (the legacy loop lost such updates).
 */
export class MemoryLifecycle {
  private readonly writeBack;
  private readonly writeContent;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly cache?: MemoryCache,
  ) {
    // Content is only SET when it changes: naming it fires the FTS/embedding triggers.
    this.writeBack = db.prepare('UPDATE memories SET importance = ?, memory_tier = ?, decayed_at = ?, updated_at = ? WHERE seq = ?');
    this.writeContent = db.prepare('UPDATE memories SET content = ? WHERE seq = ?');
  }

  async runOnce(now = nowSeconds(), signal?: AbortSignal): Promise<LifecycleReport> {
    const started = Date.now();
    const report: LifecycleReport = { processed: 0, decayed: 0, promoted: 0, consolidated: 0, summarized: 0, durationMs: 0 };
    // Work list in parent order, so siblings (which share one consolidated memory) fall into the
    // same chunk and that memory is written once per chunk rather than once per sibling. Rows
    // added during the pass wait for the next one.
    const seqs = this.db
      .prepare(`SELECT seq FROM memories WHERE memory_tier != 'long' ORDER BY parent_id, seq`)
      .pluck()
      .all() as number[];
    const read = this.db.prepare(`SELECT * FROM memories WHERE seq IN (SELECT value FROM json_each(?)) AND memory_tier != 'long'
      ORDER BY parent_id, seq`);
    for (let i = 0; i < seqs.length; i += CHUNK) {
      if (signal?.aborted) break;
      const changed: string[] = [];
      this.db.transaction(() => {
        // Re-read inside the transaction: the row is current, no request write can be lost.
        const batch = read.all(JSON.stringify(seqs.slice(i, i + CHUNK))) as MemoryRow[];
        const pending = new Map<string, PendingConsolidation>();
        for (const row of batch) this.processRow(row, now, report, changed, pending);
        for (const [key, p] of pending) this.writeConsolidated(p, key, now);
        changed.push(...[...pending.values()].map((p) => p.id));
      })();
      this.cache?.invalidate(changed);
      await new Promise((r) => setImmediate(r));
    }
    report.durationMs = Date.now() - started;
    return report;
  }

  private processRow(row: MemoryRow, now: number, report: LifecycleReport, changed: string[], pending: Map<string, PendingConsolidation>): void {
    report.processed++;
    const elapsedDays = (now - row.decayed_at) / 86400;
    if (elapsedDays <= 0) return;
    const importance = decayedImportance(row.importance, row.memory_tier, elapsedDays);
    let tier = row.memory_tier;
    let content = row.content;
    const target = nextTier(row.memory_tier, importance);
    if (target) {
      report.promoted++;
      tier = target;
      if (target === 'medium' && this.consolidate(row, now, pending)) {
        report.consolidated++;
      } else {
        const summary = summarize(row.content);
        if (summary !== row.content) report.summarized++;
        content = summary;
      }
    }
    if (importance !== row.importance) report.decayed++;
    this.writeBack.run(importance, tier, now, target || content !== row.content ? now : row.updated_at, row.seq);
    if (content !== row.content) this.writeContent.run(content, row.seq);
    if (target || content !== row.content || importance !== row.importance) changed.push(row.memory_id);
  }

  /**
   * A fading memory with ≥ 3 related memories (siblings under the same parent plus outgoing
   * relationship targets) is folded into a consolidated memory. Unlike legacy, siblings share one
   * consolidated memory per parent instead of each creating a near-duplicate; it has no parent
   * itself, so it never shows up among a session's children.
   */
  private consolidate(row: MemoryRow, now: number, pending: Map<string, PendingConsolidation>): boolean {
    const related = new Set<string>();
    if (row.parent_id) {
      const siblings = this.db
        .prepare(`SELECT memory_id FROM memories WHERE parent_id = ? AND memory_id != ? AND memory_type != 'consolidated'`)
        .pluck()
        .all(row.parent_id, row.memory_id) as string[];
      siblings.forEach((s) => related.add(s));
    }
    const targets = this.db
      .prepare(`SELECT r.target_memory_id FROM memory_relationships r JOIN memories m ON m.memory_id = r.target_memory_id
        WHERE r.source_memory_id = ? AND r.relationship_type != 'consolidated_into'`)
      .pluck()
      .all(row.memory_id) as string[];
    targets.forEach((t) => related.add(t));
    if (related.size < CONSOLIDATION_MIN_RELATED) return false;

    // The consolidated memory of this group: one already pending in this chunk, a stored one, or new.
    const key = row.parent_id ? `parent:${row.parent_id}` : `memory:${row.memory_id}`;
    let target = pending.get(key);
    if (!target) {
      const existing = this.db
        .prepare(`SELECT memory_id, metadata FROM memories WHERE memory_type = 'consolidated'
          AND json_extract(metadata, '$.consolidation_key') = ? LIMIT 1`)
        .get(key) as { memory_id: string; metadata: string } | undefined;
      target = existing
        ? { id: existing.memory_id, members: new Set((JSON.parse(existing.metadata) as { consolidated_from?: string[] }).consolidated_from ?? []), create: false }
        : { id: newMemoryId(), members: new Set(related), create: true };
      pending.set(key, target);
    }
    target.members.add(row.memory_id);
    if (target.create) {
      // Created at the end of the chunk; link after it exists (foreign key), see writeConsolidated.
      target.link = [...(target.link ?? []), row.memory_id];
      return true;
    }
    this.link(row.memory_id, target.id, now);
    return true;
  }

  private link(memoryId: string, consolidatedId: string, now: number): void {
    const linked = this.db
      .prepare(`SELECT 1 FROM memory_relationships WHERE source_memory_id = ? AND target_memory_id = ? AND relationship_type = 'consolidated_into'`)
      .get(memoryId, consolidatedId);
    if (!linked) {
      this.db
        .prepare(`INSERT INTO memory_relationships (source_memory_id, target_memory_id, relationship_type, strength, created_at, updated_at)
          VALUES (?, ?, 'consolidated_into', 1.0, ?, ?)`)
        .run(memoryId, consolidatedId, now, now);
    }
  }

  /** Writes a group's consolidated memory once per chunk, however many members joined in it. */
  private writeConsolidated(p: PendingConsolidation, key: string, now: number): void {
    const members = [...p.members];
    const contents = this.db
      .prepare(`SELECT memory_id, content FROM memories WHERE memory_id IN (${members.map(() => '?').join(',')})`)
      .all(...members) as Array<{ memory_id: string; content: string }>;
    const byId = new Map(contents.map((c) => [c.memory_id, c.content]));
    const present = members.filter((m) => byId.has(m));
    const content = summarize(present.map((m) => byId.get(m)!).join('\n\n'));
    const metadata = JSON.stringify({ consolidated_from: present, consolidation_date: now, consolidation_key: key });
    if (p.create) {
      this.db
        .prepare(`INSERT INTO memories (memory_id, content, memory_type, memory_tier, importance, access_count, last_accessed_at,
            created_at, expires_at, metadata, tags, relationships, parent_id, updated_at, decayed_at)
          VALUES (?, ?, 'consolidated', 'medium', ?, 0, ?, ?, NULL, ?, '[]', '{}', NULL, ?, ?)`)
        .run(p.id, content, CONSOLIDATED_IMPORTANCE, now, now, metadata, now, now);
      for (const m of p.link ?? []) this.link(m, p.id, now);
    } else {
      const current = this.db.prepare('SELECT content FROM memories WHERE memory_id = ?').pluck().get(p.id);
      this.db.prepare('UPDATE memories SET metadata = ?, updated_at = ? WHERE memory_id = ?').run(metadata, now, p.id);
      if (current !== content) this.db.prepare('UPDATE memories SET content = ? WHERE memory_id = ?').run(content, p.id);
    }
  }
}

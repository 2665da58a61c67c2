import { createHash } from 'node:crypto';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';

export interface Opportunity {
  id: string;
  source: string;
  score: number;
  category: string;
  created_at: string;
  processed: boolean;
}

export interface StoredOpportunity extends Opportunity {
  status: string;
  interaction: unknown;
  detectorScores: Record<string, number> | null;
}

interface Row {
  id: string; source_agent: string; opportunity_type: string; priority_score: number; status: string; created_at: string;
  interaction_data: string | null; detector_scores: string | null;
}

const toOpp = (r: Row): StoredOpportunity => ({
  id: r.id, source: r.source_agent, score: r.priority_score, category: r.opportunity_type, created_at: r.created_at,
  processed: r.status === 'processed', status: r.status, interaction: r.interaction_data ? JSON.parse(r.interaction_data) : null,
  detectorScores: r.detector_scores ? JSON.parse(r.detector_scores) : null,
});

/** Same exchange, same hash: whitespace and case do not make a new opportunity. */
export function contentHash(userInput: string, assistantResponse: string): string {
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(norm(userInput)).update('\u0000').update(norm(assistantResponse)).digest('hex');
}

/**
 * LearningOpportunityDetector's table (learning_suite.md §6.3), read through the column mapping
 * the spec recommends (§6.2): source→source_agent, score→priority_score, category→opportunity_type,
 * processed→status='processed'.
 */
export class OpportunityStore {
  constructor(private readonly db: SqliteDatabase) {}

  /** Inserts unless an identical exchange is already stored; false means duplicate. */
  insert(o: { id: string; category: string; score: number; createdAt: string; interaction: unknown; detectorScores: Record<string, number>; hash: string }): boolean {
    const res = this.db
      .prepare(
        `INSERT OR IGNORE INTO learning_opportunities (id, source_agent, opportunity_type, priority_score, status, created_at, interaction_data, detector_scores, content_hash)
         VALUES (?, 'LearningOpportunityDetector', ?, ?, 'pending', ?, ?, ?, ?)`,
      )
      .run(o.id, o.category, o.score, o.createdAt, JSON.stringify(o.interaction), JSON.stringify(o.detectorScores), o.hash);
    return res.changes === 1;
  }

  top(limit: number, category?: string, includeProcessed = true): Opportunity[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (category) {
      where.push('opportunity_type = ?');
      args.push(category);
    }
    if (!includeProcessed) where.push(`status = 'pending'`);
    const sql = `SELECT * FROM learning_opportunities ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY priority_score DESC, created_at ASC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, limit) as Row[]).map((r) => {
      const o = toOpp(r);
      return { id: o.id, source: o.source, score: o.score, category: o.category, created_at: o.created_at, processed: o.processed };
    });
  }

  get(id: string): StoredOpportunity | undefined {
    const r = this.db.prepare('SELECT * FROM learning_opportunities WHERE id = ?').get(id) as Row | undefined;
    return r ? toOpp(r) : undefined;
  }

  markProcessed(id: string): boolean {
    return this.db.prepare(`UPDATE learning_opportunities SET status = 'processed' WHERE id = ?`).run(id).changes === 1;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM learning_opportunities').get() as { n: number }).n;
  }
}

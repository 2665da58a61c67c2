import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { buildUmraSummary, type UmraInteraction } from './umraSummary.js';
import { nowS, parseJson } from './util.js';

/**
 * UMRA's digital twins, per-session interaction logs and summaries (memory_hub.md §2.5.1–2.5.2),
 * durable in SQLite. Legacy kept them in JSON files it never read back (§2.5.7); here every
 * restart sees the same state.
 */
export class UmraService {
  private readonly stmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly maxHistory: number,
  ) {
    this.stmt = {
      upsertTwin: db.prepare(`INSERT INTO umra_twins (user_id, twin_data, updated_at) VALUES (?, ?, ?)
        ON CONFLICT(user_id) DO UPDATE SET twin_data = excluded.twin_data, updated_at = excluded.updated_at`),
      twin: db.prepare('SELECT twin_data FROM umra_twins WHERE user_id = ?').pluck(),
      deleteTwin: db.prepare('DELETE FROM umra_twins WHERE user_id = ?'),
      addInteraction: db.prepare(`INSERT INTO umra_interactions (session_id, interaction_type, content, metadata, created_at)
        VALUES (?, ?, ?, ?, ?)`),
      newestFirst: db.prepare(`SELECT interaction_type, content, metadata, created_at FROM umra_interactions
        WHERE session_id = ? ORDER BY seq DESC`),
      trim: db.prepare(`DELETE FROM umra_interactions WHERE session_id = ? AND seq NOT IN
        (SELECT seq FROM umra_interactions WHERE session_id = ? ORDER BY seq DESC LIMIT ?)`),
      upsertSummary: db.prepare(`INSERT INTO umra_summaries (session_id, summary, updated_at) VALUES (?, ?, ?)
        ON CONFLICT(session_id) DO UPDATE SET summary = excluded.summary, updated_at = excluded.updated_at`),
      summary: db.prepare('SELECT summary FROM umra_summaries WHERE session_id = ?').pluck(),
      hasSession: db.prepare(`SELECT 1 WHERE EXISTS (SELECT 1 FROM umra_interactions WHERE session_id = ?)
        OR EXISTS (SELECT 1 FROM umra_summaries WHERE session_id = ?)`).pluck(),
      countTwins: db.prepare('SELECT COUNT(*) FROM umra_twins').pluck(),
      countSessions: db.prepare(`SELECT COUNT(*) FROM (SELECT session_id FROM umra_interactions UNION SELECT session_id FROM umra_summaries)`).pluck(),
    };
  }

  /** Replaces the whole twin of a user (no merge, as legacy). */
  updateTwin(userId: string, twin: Record<string, unknown>): void {
    this.stmt.upsertTwin.run(userId, JSON.stringify(twin), nowS());
  }

  getTwin(userId: string): Record<string, unknown> {
    return parseJson(this.stmt.twin.get(userId) as string | undefined, {});
  }

  deleteTwin(userId: string): boolean {
    return this.stmt.deleteTwin.run(userId).changes > 0;
  }

  private history(sessionId: string): UmraInteraction[] {
    return (this.stmt.newestFirst.all(sessionId) as Array<{ interaction_type: string; content: string; metadata: string | null; created_at: number }>).map(
      (r) => {
        const i: UmraInteraction = { timestamp: r.created_at, type: r.interaction_type, content: r.content };
        const meta = parseJson<Record<string, unknown> | null>(r.metadata, null);
        if (meta && Object.keys(meta).length) i.metadata = meta;
        return i;
      },
    );
  }

  /**
   * Records one interaction, rebuilds the session summary over the kept history plus the new
   * entry, then keeps only the newest `maxHistory` entries — all in one transaction.
   */
  addInteraction(sessionId: string, type: string, content: string, metadata?: Record<string, unknown>): void {
    this.db.transaction(() => {
      const now = nowS();
      const meta = metadata && Object.keys(metadata).length ? JSON.stringify(metadata) : null;
      this.stmt.addInteraction.run(sessionId, type, content, meta, now);
      const summary = buildUmraSummary(this.history(sessionId), now);
      this.stmt.upsertSummary.run(sessionId, JSON.stringify(summary), now);
      this.stmt.trim.run(sessionId, sessionId, this.maxHistory);
    })();
  }

  /** The stored summary, or the legacy placeholder for a session without one. */
  getContext(sessionId: string): Record<string, unknown> {
    const stored = this.stmt.summary.get(sessionId) as string | undefined;
    if (stored) return parseJson(stored, {});
    return { last_updated: nowS(), session_id: sessionId, context: `New session: ${sessionId}` };
  }

  /** Newest-first interaction log of a session (as UMRA kept it). */
  interactions(sessionId: string): UmraInteraction[] {
    return this.history(sessionId);
  }

  hasSession(sessionId: string): boolean {
    return this.stmt.hasSession.get(sessionId, sessionId) !== undefined;
  }

  totals(): { total_twins: number; total_sessions: number } {
    return { total_twins: this.stmt.countTwins.get() as number, total_sessions: this.stmt.countSessions.get() as number };
  }
}

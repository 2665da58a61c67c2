import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { scoreImportance, WINDOW } from './importance.js';
import { estimateTokens, nowS, parseJson } from './util.js';

export interface ContextItem {
  text: string;
  timestamp: number;
  speaker: string | null;
  importance: number;
  metadata: Record<string, unknown>;
}

interface ItemRow {
  seq: number;
  text: string;
  speaker: string | null;
  importance: number;
  metadata: string;
  tokens: number;
  created_at: number;
}

const toItem = (r: ItemRow): ContextItem => ({
  text: r.text,
  timestamp: r.created_at,
  speaker: r.speaker,
  importance: r.importance,
  metadata: parseJson(r.metadata, {}),
});

/** Sort of the legacy get_context: importance, then timestamp, both descending. */
const byImportance = (a: ItemRow, b: ItemRow): number => b.importance - a.importance || b.created_at - a.created_at || b.seq - a.seq;

/** The legacy single window lives in scope ''; sessions use their id. */
export const LEGACY_SCOPE = '';

export interface PruneResult {
  removed: number;
  remaining: number;
  tokens: number;
}

/**
 * Context windows with the PC2 ContextManager algorithm (memory_hub.md §2.6.3), persisted in
 * SQLite so they survive a restart: a bounded main window whose size adapts to the mean
 * importance (5..20, start 10), per-speaker windows of 20, importance scored by keywords and
 * phrasing. Pruning drops low-importance items when the window is full and then enforces a token
 * budget, cheapest loss first (lowest importance, oldest).
 */
export class ContextWindowService {
  private readonly stmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly defaultBudget: number,
  ) {
    this.stmt = {
      insert: db.prepare(`INSERT INTO contexts (scope, text, speaker, importance, metadata, tokens, in_main, in_speaker, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`),
      size: db.prepare('SELECT size FROM context_windows WHERE scope = ?').pluck(),
      setSize: db.prepare(`INSERT INTO context_windows (scope, size, updated_at) VALUES (?, ?, ?)
        ON CONFLICT(scope) DO UPDATE SET size = excluded.size, updated_at = excluded.updated_at`),
      score: db.prepare(`INSERT INTO context_importance (scope, text, importance) VALUES (?, ?, ?)
        ON CONFLICT(scope, text) DO UPDATE SET importance = excluded.importance`),
      meanScore: db.prepare('SELECT AVG(importance) FROM context_importance WHERE scope = ?').pluck(),
      trimMain: db.prepare(`UPDATE contexts SET in_main = 0 WHERE scope = ? AND in_main = 1 AND seq NOT IN
        (SELECT seq FROM contexts WHERE scope = ? AND in_main = 1 ORDER BY seq DESC LIMIT ?)`),
      trimSpeaker: db.prepare(`UPDATE contexts SET in_speaker = 0 WHERE scope = ? AND speaker = ? AND in_speaker = 1 AND seq NOT IN
        (SELECT seq FROM contexts WHERE scope = ? AND speaker = ? AND in_speaker = 1 ORDER BY seq DESC LIMIT ?)`),
      dropOrphans: db.prepare('DELETE FROM contexts WHERE scope = ? AND in_main = 0 AND in_speaker = 0'),
      main: db.prepare('SELECT * FROM contexts WHERE scope = ? AND in_main = 1 ORDER BY seq'),
      speaker: db.prepare('SELECT * FROM contexts WHERE scope = ? AND speaker = ? AND in_speaker = 1 ORDER BY seq'),
      clearSpeaker: db.prepare('UPDATE contexts SET in_speaker = 0 WHERE scope = ? AND speaker = ?'),
      clearMain: db.prepare('UPDATE contexts SET in_main = 0 WHERE scope = ?'),
      clearScores: db.prepare('DELETE FROM context_importance WHERE scope = ?'),
      leaveMain: db.prepare('UPDATE contexts SET in_main = 0 WHERE seq = ?'),
      deleteScope: [
        db.prepare('DELETE FROM contexts WHERE scope = ?'),
        db.prepare('DELETE FROM context_windows WHERE scope = ?'),
        db.prepare('DELETE FROM context_importance WHERE scope = ?'),
      ],
    };
  }

  windowSize(scope: string): number {
    return (this.stmt.size.get(scope) as number | undefined) ?? WINDOW.initialSize;
  }

  /**
   * Adds one item (legacy add_to_context). Empty text is ignored, as in legacy. Must run inside the
   * caller's transaction when it is part of a bigger write; it opens its own otherwise.
   */
  add(scope: string, text: string, speaker: string | null, metadata: Record<string, unknown>, importance = scoreImportance(text)): ContextItem | undefined {
    if (!text) return undefined;
    return this.db.transaction(() => {
      const now = nowS();
      this.stmt.insert.run(scope, text, speaker, importance, JSON.stringify(metadata), estimateTokens(text), speaker ? 1 : 0, now);
      let size = this.windowSize(scope);
      this.stmt.trimMain.run(scope, scope, size);
      if (speaker) this.stmt.trimSpeaker.run(scope, speaker, scope, speaker, WINDOW.speakerSize);
      this.stmt.score.run(scope, text, importance);
      const mean = (this.stmt.meanScore.get(scope) as number | null) ?? 0.5;
      if (mean > WINDOW.growAbove) size = Math.min(WINDOW.maxSize, size + 2);
      else if (mean < WINDOW.shrinkBelow) size = Math.max(WINDOW.minSize, size - 1);
      this.stmt.setSize.run(scope, size, now);
      this.stmt.trimMain.run(scope, scope, size);
      this.stmt.dropOrphans.run(scope);
      return { text, timestamp: now, speaker, importance, metadata };
    })();
  }

  private rows(scope: string, speaker?: string | null): ItemRow[] {
    if (speaker) {
      const own = this.stmt.speaker.all(scope, speaker) as ItemRow[];
      if (own.length > 0) return own; // unknown speaker falls back to the main window (legacy)
    }
    return this.stmt.main.all(scope) as ItemRow[];
  }

  /** Items by importance then recency (legacy get_context); maxItems 0/undefined = all. */
  get(scope: string, speaker?: string | null, maxItems?: number | null): ContextItem[] {
    const rows = this.rows(scope, speaker).sort(byImportance);
    return (maxItems ? rows.slice(0, maxItems) : rows).map(toItem);
  }

  /** Lines `[speaker]: text` (or `text`), in get() order. */
  text(scope: string, speaker?: string | null, maxItems?: number | null): string {
    return this.get(scope, speaker, maxItems)
      .map((i) => (i.speaker ? `[${i.speaker}]: ${i.text}` : i.text))
      .join('\n');
  }

  /**
   * The most important items that fit in `budget` tokens, returned oldest first (reading order).
   * Ties go to the newer item.
   */
  withinBudget(scope: string, budget = this.defaultBudget, maxItems?: number): { items: ContextItem[]; tokens: number } {
    const chosen: ItemRow[] = [];
    let tokens = 0;
    for (const r of (this.stmt.main.all(scope) as ItemRow[]).sort(byImportance)) {
      if (maxItems && chosen.length >= maxItems) break;
      if (tokens + r.tokens > budget) continue;
      chosen.push(r);
      tokens += r.tokens;
    }
    chosen.sort((a, b) => a.seq - b.seq);
    return { items: chosen.map(toItem), tokens };
  }

  /** Legacy clear_context: a speaker's window only, or the main window plus importance scores. */
  clear(scope: string, speaker?: string | null): void {
    this.db.transaction(() => {
      if (speaker) this.stmt.clearSpeaker.run(scope, speaker);
      else {
        this.stmt.clearMain.run(scope);
        this.stmt.clearScores.run(scope);
      }
      this.stmt.dropOrphans.run(scope);
    })();
  }

  /**
   * Prunes the main window. Step 1 (legacy): when the window is full, drop up to max(1, size/4)
   * items scored below the 0.5 threshold, least important first. Step 2: while the window holds
   * more than `budget` tokens, drop the least important (then oldest) item.
   */
  prune(scope: string, budget = this.defaultBudget): PruneResult {
    return this.db.transaction(() => {
      const size = this.windowSize(scope);
      let rows = this.stmt.main.all(scope) as ItemRow[];
      let removed = 0;
      const cheapestFirst = (a: ItemRow, b: ItemRow): number => a.importance - b.importance || a.seq - b.seq;
      if (rows.length >= size) {
        const quota = Math.max(1, Math.floor(size / 4));
        for (const r of rows.filter((x) => x.importance < WINDOW.importanceThreshold).sort(cheapestFirst).slice(0, quota)) {
          this.stmt.leaveMain.run(r.seq);
          removed++;
        }
        rows = this.stmt.main.all(scope) as ItemRow[];
      }
      let tokens = rows.reduce((s, r) => s + r.tokens, 0);
      for (const r of [...rows].sort(cheapestFirst)) {
        if (tokens <= budget) break;
        this.stmt.leaveMain.run(r.seq);
        tokens -= r.tokens;
        removed++;
      }
      this.stmt.dropOrphans.run(scope);
      const remaining = (this.stmt.main.all(scope) as ItemRow[]).length;
      return { removed, remaining, tokens };
    })();
  }

  deleteScope(scope: string): void {
    for (const s of this.stmt.deleteScope) s.run(scope);
  }

  count(scope: string): number {
    return (this.stmt.main.all(scope) as ItemRow[]).length;
  }
}

import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import { errorText, isModelError } from './ModelError.js';
import type { ModelLifecycle } from './ModelLifecycle.js';
import type { ModelRegistry } from './ModelRegistry.js';

export interface Prediction {
  model_id: string;
  score: number;
  /** Uses within the prediction window. */
  frequency: number;
  /** 1 when used just now, falling linearly to 0 at the window's edge. */
  recency: number;
  /** Average daily uses in the same hour of day (±1 h) over the history period. */
  time_of_day: number;
}

export interface PreloadOutcome {
  preloaded: string[];
  already_loaded: string[];
  skipped: Array<{ model_id: string; reason: string }>;
}

export interface PredictionOptions {
  windowSeconds: number;
  topN: number;
  historyDays: number;
}

/**
 * PredictiveLoader made real (model_manager.md §4.3, consolidation intent §4.3/§10): usage is
 * stored in SQLite (every generation records one), predictions score frequency in the window +
 * recency + time-of-day habit, and preloading loads predicted models only when they fit in the
 * free budget, so it never evicts anything (pinned, busy or otherwise).
 */
export class PredictionService {
  /**
   * Usage rows waiting to be written. Recording happens on every generation, so it must not put a
   * synchronous, fsynced SQLite commit in front of the reply: rows are written in one transaction
   * a moment later (or before any read). A crash can lose the last FLUSH_MS of usage statistics,
   * never a reply's data.
   */
  private pending: Array<[string, number, string]> = [];
  private flushTimer?: NodeJS.Timeout;
  private static readonly FLUSH_MS = 250;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly registry: ModelRegistry,
    private readonly lifecycle: ModelLifecycle,
    private readonly opts: PredictionOptions,
  ) {}

  record(modelId: string, source = 'request', at = Date.now()): void {
    this.pending.push([modelId, at / 1000, source]);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), PredictionService.FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  /** Writes the recorded usage now (before reads, and on close). */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    const insert = this.db.prepare('INSERT INTO model_usage (model_id, used_at, source) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) insert.run(...r);
    })();
  }

  /** Deletes usage older than the history period; returns rows removed. */
  prune(now = Date.now()): number {
    this.flush();
    const cutoff = now / 1000 - this.opts.historyDays * 86_400;
    return this.db.prepare('DELETE FROM model_usage WHERE used_at < ?').run(cutoff).changes;
  }

  predict(now = Date.now(), topN = this.opts.topN): Prediction[] {
    this.flush();
    const nowS = now / 1000;
    const window = this.opts.windowSeconds;
    const historyFrom = nowS - this.opts.historyDays * 86_400;
    const rows = this.db
      .prepare('SELECT model_id, used_at FROM model_usage WHERE used_at >= ? ORDER BY id')
      .all(Math.min(historyFrom, nowS - window)) as Array<{ model_id: string; used_at: number }>;
    const hourNow = new Date(now).getHours();
    const byModel = new Map<string, { freq: number; last: number; tod: number; first: number }>();
    rows.forEach((r, i) => {
      const s = byModel.get(r.model_id) ?? { freq: 0, last: 0, tod: 0, first: i };
      if (r.used_at >= nowS - window) s.freq++;
      s.last = Math.max(s.last, r.used_at);
      const h = new Date(r.used_at * 1000).getHours();
      const dh = Math.min(Math.abs(h - hourNow), 24 - Math.abs(h - hourNow));
      // Habit only counts earlier days; today's uses already count as frequency.
      if (dh <= 1 && r.used_at < nowS - window) s.tod++;
      byModel.set(r.model_id, s);
    });
    const out: Array<Prediction & { first: number }> = [];
    for (const [model_id, s] of byModel) {
      const recency = Math.max(0, 1 - (nowS - s.last) / window);
      const timeOfDay = s.tod / this.opts.historyDays;
      const score = s.freq + recency + timeOfDay;
      if (score <= 0) continue;
      out.push({ model_id, score: round3(score), frequency: s.freq, recency: round3(recency), time_of_day: round3(timeOfDay), first: s.first });
    }
    out.sort((a, b) => b.score - a.score || a.first - b.first);
    return out.slice(0, topN).map(({ first: _f, ...p }) => p);
  }

  /** Loads `ids` (or the current prediction) when they fit without evicting anything. */
  async preload(ids?: string[], signal?: AbortSignal): Promise<PreloadOutcome> {
    const targets = ids ?? this.predict().map((p) => p.model_id);
    const outcome: PreloadOutcome = { preloaded: [], already_loaded: [], skipped: [] };
    for (const id of targets) {
      if (!this.registry.has(id)) {
        outcome.skipped.push({ model_id: id, reason: 'unknown model' });
        continue;
      }
      if (this.lifecycle.isLoaded(id)) {
        outcome.already_loaded.push(id);
        continue;
      }
      try {
        if (!(await this.lifecycle.fitsWithoutEviction(id))) {
          outcome.skipped.push({ model_id: id, reason: 'does not fit in the free budget (preloading never evicts)' });
          continue;
        }
        await this.lifecycle.load(id, { signal, noEviction: true });
        outcome.preloaded.push(id);
      } catch (err) {
        outcome.skipped.push({ model_id: id, reason: isModelError(err) ? err.message : errorText(err) });
      }
    }
    return outcome;
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

import type { Logger } from '../../../runtime/logger.js';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { InputError } from './errors.js';
import { compilePythonRegex } from './pythonRegex.js';
import { nowS } from './util.js';

interface PatternRow {
  error_type: string;
  pattern: string;
  solution: string | null;
  position: number;
}

interface LoadedPattern extends PatternRow {
  regex: RegExp;
}

/**
 * UMRA error patterns and solutions (memory_hub.md §2.5.3). Patterns are loaded and compiled at
 * start (legacy never loaded its file) and kept in first-insertion order, which decides the
 * winner when several match. A pattern that does not compile is refused when added; one that was
 * stored earlier and no longer compiles is skipped instead of voiding the whole lookup.
 */
export class ErrorPatternService {
  private patterns: LoadedPattern[] = [];
  private readonly stmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly log: Logger,
  ) {
    this.stmt = {
      all: db.prepare('SELECT error_type, pattern, solution, position FROM umra_error_patterns ORDER BY position'),
      position: db.prepare('SELECT position FROM umra_error_patterns WHERE error_type = ?').pluck(),
      nextPosition: db.prepare('SELECT COALESCE(MAX(position), 0) + 1 FROM umra_error_patterns').pluck(),
      upsert: db.prepare(`INSERT INTO umra_error_patterns (error_type, pattern, solution, last_seen, occurrence_count, position)
        VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT(error_type) DO UPDATE SET pattern = excluded.pattern, solution = excluded.solution,
        last_seen = excluded.last_seen, occurrence_count = 1`),
      history: db.prepare('INSERT INTO umra_error_history (timestamp, error_type, pattern, solution) VALUES (?, ?, ?, ?)'),
      hit: db.prepare('UPDATE umra_error_patterns SET occurrence_count = occurrence_count + 1, last_seen = ? WHERE error_type = ?'),
    };
  }

  /** Loads persisted patterns; call once at start. */
  load(): void {
    const loaded: LoadedPattern[] = [];
    for (const row of this.stmt.all.all() as PatternRow[]) {
      try {
        loaded.push({ ...row, regex: compilePythonRegex(row.pattern) });
      } catch (err) {
        this.log.warn({ error_type: row.error_type, err: (err as Error).message }, 'stored error pattern does not compile; skipped');
      }
    }
    this.patterns = loaded;
  }

  add(errorType: string, pattern: string, solution: string | null): void {
    let regex: RegExp;
    try {
      regex = compilePythonRegex(pattern);
    } catch (err) {
      throw new InputError(`Invalid pattern: ${(err as Error).message}`);
    }
    const position = this.db.transaction(() => {
      const pos = (this.stmt.position.get(errorType) as number | undefined) ?? (this.stmt.nextPosition.get() as number);
      const now = nowS();
      this.stmt.upsert.run(errorType, pattern, solution, now, pos);
      this.stmt.history.run(now, errorType, pattern, solution);
      return pos;
    })();
    const entry: LoadedPattern = { error_type: errorType, pattern, solution, position, regex };
    const i = this.patterns.findIndex((p) => p.error_type === errorType);
    if (i >= 0) this.patterns[i] = entry;
    else this.patterns.push(entry);
  }

  /** First matching pattern's solution (null when it has none or nothing matches); counts the hit. */
  solve(message: string): { matched: boolean; solution: string | null; error_type?: string } {
    for (const p of this.patterns) {
      p.regex.lastIndex = 0;
      if (p.regex.test(message)) {
        this.stmt.hit.run(nowS(), p.error_type);
        return { matched: true, solution: p.solution, error_type: p.error_type };
      }
    }
    return { matched: false, solution: null };
  }

  count(): number {
    return this.patterns.length;
  }
}

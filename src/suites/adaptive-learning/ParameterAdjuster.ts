import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import { localIso } from './timeFormat.js';

export const PARAMETER_TYPES = ['learning_rate', 'batch_size', 'optimizer', 'regularization', 'custom'] as const;
const REQUIRED = ['name', 'type', 'min_value', 'max_value', 'current_value', 'step_size', 'description'] as const;
const ALLOWED = new Set<string>([...REQUIRED, 'metadata']);
export const OPTIMIZATION_WINDOW = 100;
export const CORRELATION_THRESHOLD = 0.1;

/** Metrics where a smaller value is better; legacy assumed "higher is better" for every metric. */
const LOWER_IS_BETTER = /(loss|latency|perplexity|error|time|_ms$|duration)/i;

export class ParameterConfigError extends Error {}

export interface ParameterConfig {
  name: string; type: string; min_value: number; max_value: number; current_value: number; step_size: number; description: string;
  metadata: Record<string, unknown>;
}

/** Python's wording for a dataclass constructed with missing or unexpected keyword arguments. */
function pythonArgError(cfg: Record<string, unknown>): string | undefined {
  const unexpected = Object.keys(cfg).find((k) => !ALLOWED.has(k));
  if (unexpected) return `ParameterConfig.__init__() got an unexpected keyword argument '${unexpected}'`;
  const missing = REQUIRED.filter((k) => !(k in cfg));
  if (missing.length === 0) return undefined;
  const q = missing.map((m) => `'${m}'`);
  const list = q.length === 1 ? q[0] : q.length === 2 ? `${q[0]} and ${q[1]}` : `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`;
  return `ParameterConfig.__init__() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${list}`;
}

function pearson(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * LearningAdjusterAgent (MainPC, learning_suite.md §8): a parameter registry with bounds and step
 * sizes, a performance log, and correlation-driven suggestions (never applied automatically).
 */
export class ParameterAdjuster {
  constructor(private readonly db: SqliteDatabase) {}

  /** Upsert; Python's argument errors for unknown or missing keys, then type and bound checks. */
  register(cfg: Record<string, unknown>): ParameterConfig {
    const argErr = pythonArgError(cfg);
    if (argErr) throw new ParameterConfigError(argErr);
    const c = cfg as Record<(typeof REQUIRED)[number], unknown> & { metadata?: unknown };
    const problems: string[] = [];
    if (typeof c.name !== 'string' || !c.name) problems.push('name must be a non-empty string');
    if (typeof c.type !== 'string' || !(PARAMETER_TYPES as readonly string[]).includes(c.type)) problems.push(`type must be one of ${PARAMETER_TYPES.join(', ')}`);
    for (const k of ['min_value', 'max_value', 'current_value', 'step_size'] as const) {
      if (typeof c[k] !== 'number' || !Number.isFinite(c[k])) problems.push(`${k} must be a number`);
    }
    if (!problems.length) {
      const [min, max, cur, step] = [c.min_value, c.max_value, c.current_value, c.step_size] as number[];
      if (min! > max!) problems.push('min_value must not exceed max_value');
      if (cur! < min! || cur! > max!) problems.push('current_value must lie within [min_value, max_value]');
      if (step! <= 0) problems.push('step_size must be > 0');
    }
    if (c.metadata !== undefined && (typeof c.metadata !== 'object' || c.metadata === null || Array.isArray(c.metadata))) problems.push('metadata must be an object');
    if (problems.length) throw new ParameterConfigError(`Invalid parameter config: ${problems.join('; ')}`);
    const p: ParameterConfig = {
      name: c.name as string, type: c.type as string, min_value: c.min_value as number, max_value: c.max_value as number,
      current_value: c.current_value as number, step_size: c.step_size as number, description: String(c.description),
      metadata: (c.metadata as Record<string, unknown>) ?? {},
    };
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO parameter_configs (name, type, min_value, max_value, current_value, step_size, description, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET type = excluded.type, min_value = excluded.min_value, max_value = excluded.max_value,
           current_value = excluded.current_value, step_size = excluded.step_size, description = excluded.description, metadata = excluded.metadata`,
        )
        .run(p.name, p.type, p.min_value, p.max_value, p.current_value, p.step_size, p.description, JSON.stringify(p.metadata));
      this.db.prepare('INSERT INTO parameter_history (parameter_name, value, timestamp) VALUES (?, ?, ?)').run(p.name, p.current_value, localIso());
    })();
    return p;
  }

  get(name: string): ParameterConfig | undefined {
    const r = this.db.prepare('SELECT * FROM parameter_configs WHERE name = ?').get(name) as (Omit<ParameterConfig, 'metadata'> & { metadata: string }) | undefined;
    return r ? { ...r, metadata: JSON.parse(r.metadata) } : undefined;
  }

  list(): ParameterConfig[] {
    return (this.db.prepare('SELECT * FROM parameter_configs ORDER BY name').all() as (Omit<ParameterConfig, 'metadata'> & { metadata: string })[]).map((r) => ({ ...r, metadata: JSON.parse(r.metadata) }));
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM parameter_configs').get() as { n: number }).n;
  }

  /** False for an unknown parameter or a value outside [min, max] (legacy: no message). */
  adjust(name: string, value: number): boolean {
    const p = this.get(name);
    if (!p || !Number.isFinite(value) || value < p.min_value || value > p.max_value) return false;
    this.db.transaction(() => {
      this.db.prepare('UPDATE parameter_configs SET current_value = ? WHERE name = ?').run(value, name);
      this.db.prepare('INSERT INTO parameter_history (parameter_name, value, timestamp) VALUES (?, ?, ?)').run(name, value, localIso());
    })();
    return true;
  }

  record(metric: string, value: number, parameters: Record<string, unknown> | undefined, metadata: Record<string, unknown> = {}): void {
    this.db
      .prepare('INSERT INTO performance_metrics (metric_name, value, timestamp, parameters, metadata) VALUES (?, ?, ?, ?, ?)')
      .run(metric, value, new Date().toISOString().replace('T', ' ').slice(0, 19), JSON.stringify(parameters ?? {}), JSON.stringify({ timestamp: localIso(), ...metadata }));
  }

  history(metric: string, limit = OPTIMIZATION_WINDOW): { value: number; parameters: Record<string, unknown>; timestamp: string }[] {
    return (this.db.prepare('SELECT value, parameters, timestamp FROM performance_metrics WHERE metric_name = ? ORDER BY id DESC LIMIT ?').all(metric, limit) as { value: number; parameters: string; timestamp: string }[])
      .map((r) => ({ value: r.value, parameters: JSON.parse(r.parameters ?? '{}'), timestamp: r.timestamp }));
  }

  /**
   * Suggestions from the newest 100 rows of `metric`: Pearson r between each parameter and the
   * metric; |r| < 0.1 or an undefined r (constant input) gives none; otherwise one step towards
   * the better direction, clamped to the bounds. Returns undefined when there is no history.
   */
  optimize(metric: string): Record<string, { current_value: number; suggested_value: number; correlation: number; confidence: number }> | undefined {
    const rows = this.history(metric);
    if (rows.length === 0) return undefined;
    const sign = LOWER_IS_BETTER.test(metric) ? -1 : 1;
    const out: Record<string, { current_value: number; suggested_value: number; correlation: number; confidence: number }> = {};
    for (const p of this.list()) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const r of rows) {
        const v = r.parameters[p.name];
        if (typeof v === 'number' && Number.isFinite(v)) {
          xs.push(v);
          ys.push(r.value);
        }
      }
      if (xs.length < 2) continue;
      const r = pearson(xs, ys);
      if (!Number.isFinite(r) || Math.abs(r) < CORRELATION_THRESHOLD) continue;
      const dir = r * sign > 0 ? 1 : -1;
      const suggested = Math.min(p.max_value, Math.max(p.min_value, p.current_value + dir * p.step_size));
      out[p.name] = { current_value: p.current_value, suggested_value: suggested, correlation: r, confidence: Math.abs(r) };
    }
    return out;
  }
}

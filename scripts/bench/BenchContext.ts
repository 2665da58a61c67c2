import type { BenchRow } from './benchTypes.js';

/** What every case gets: the mode, a row sink, and servers shared between cases. */
export class BenchContext {
  readonly rows: BenchRow[] = [];
  private readonly shared = new Map<string, { promise: Promise<unknown>; stop: () => Promise<void> }>();
  /** Figures one case leaves for a later one (e.g. the measured maximum throughput). */
  readonly notes = new Map<string, number>();

  constructor(readonly quick: boolean) {}

  /** A figure with its baseline; ratio = value / baseline. */
  add(row: Omit<BenchRow, 'ratio'> & { ratio?: number | null }): BenchRow {
    const ratio = row.ratio !== undefined
      ? row.ratio
      : row.value !== null && row.baseline_value !== null && row.baseline_value !== 0 ? row.value / row.baseline_value : null;
    const full: BenchRow = {
      name: row.name, metric: row.metric, value: round(row.value), unit: row.unit,
      baseline_name: row.baseline_name, baseline_value: round(row.baseline_value), ratio: round(ratio),
      ...(row.target !== undefined ? { target: row.target } : {}),
      ...(row.met !== undefined ? { met: row.met } : {}),
      ...(row.note !== undefined ? { note: row.note } : {}),
    };
    this.rows.push(full);
    process.stdout.write(`  ${full.name} · ${full.metric}: ${full.value ?? '-'} ${full.unit}` +
      (full.baseline_value !== null ? ` (baseline ${full.baseline_value}, ratio ${full.ratio})` : '') +
      (full.met === undefined ? '' : full.met ? ' ✓' : ' ✗') + '\n');
    return full;
  }

  /** A row that says why a case did not run. */
  skip(name: string, metric: string, reason: string, target?: string): void {
    const note = `skipped: ${oneLine(reason)}`;
    this.rows.push({ name, metric, value: null, unit: '', baseline_name: null, baseline_value: null, ratio: null, ...(target ? { target } : {}), note });
    process.stdout.write(`  ${name} · ${metric}: ${note}\n`);
  }

  /** A server or other resource started once and shared by the cases that ask for it. */
  resource<T>(key: string, start: () => Promise<T>, stop: (r: T) => Promise<void>): Promise<T> {
    let entry = this.shared.get(key);
    if (!entry) {
      const promise = start();
      entry = { promise, stop: () => promise.then((r) => stop(r), () => {}) };
      this.shared.set(key, entry);
    }
    return entry.promise as Promise<T>;
  }

  /** Stops a shared resource now (e.g. before a case that needs the CPU to itself). */
  async release(key: string): Promise<void> {
    const entry = this.shared.get(key);
    if (!entry) return;
    this.shared.delete(key);
    await entry.stop().catch(() => {});
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.shared.keys()].map((key) => this.release(key)));
  }
}

export function round(v: number | null): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  const a = Math.abs(v);
  const digits = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 3 : 4;
  return Number(v.toFixed(digits));
}

export function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 400 ? t.slice(0, 397) + '…' : t;
}

import type { Counter, MetricValueWithName, Registry } from 'prom-client';

/** Upper bounds (seconds) of the request latency histogram. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Labels = { suite: string; agent: string; action: string };

/**
 * Counts and latency of one (agent, action), kept in plain numbers. prom-client hashes the label
 * set on every inc()/observe() even on a labelled child; for a request that costs ~10 µs in all,
 * that was over a tenth of it. These numbers reach Prometheus only when /metrics is scraped.
 */
export class ActionStats {
  ok = 0;
  error = 0;
  sum = 0;
  /** Non-cumulative bucket counts; the last slot is +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  /** Counts already handed to the prom-client counter (it only goes up). */
  exportedOk = 0;
  exportedError = 0;

  constructor(readonly labels: Labels) {}

  observe(seconds: number): void {
    this.sum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.buckets[i]!++;
  }
}

/** Moves what the stats counted since the last scrape into the requests counter. */
export function flushCounts(counter: Counter<'suite' | 'agent' | 'action' | 'status'>, all: Iterable<ActionStats>): void {
  for (const s of all) {
    if (s.ok > s.exportedOk) counter.inc({ ...s.labels, status: 'ok' }, s.ok - s.exportedOk);
    if (s.error > s.exportedError) counter.inc({ ...s.labels, status: 'error' }, s.error - s.exportedError);
    s.exportedOk = s.ok;
    s.exportedError = s.error;
  }
}

/**
 * A Prometheus histogram read straight from ActionStats at scrape time, in the exposition
 * prom-client's own Histogram produces (`_bucket` with cumulative `le`, `_sum`, `_count`).
 */
export class LatencyHistogramMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly series: () => Iterable<ActionStats>,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** What prom-client's Registry reads from a metric (the fields its own Histogram.get() returns). */
  get(): Promise<{ name: string; help: string; type: 'histogram'; values: Array<MetricValueWithName<string>>; aggregator: 'sum' }> {
    const values: Array<MetricValueWithName<string>> = [];
    for (const s of this.series()) {
      let cumulative = 0;
      for (let i = 0; i < s.buckets.length; i++) {
        cumulative += s.buckets[i]!;
        const le = i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : '+Inf';
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: cumulative, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' });
  }

  reset(): void {}
}

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { descriptor } from '../fixtures/example-suite/ExampleSuite.js';
import { closedLoop, openLoop, type LoadResult } from '../../scripts/bench/loadGenerator.js';
import { BenchContext } from '../../scripts/bench/BenchContext.js';
import { formatTable } from '../../scripts/bench/formatTable.js';
import { isSuccess } from '../../scripts/bench/servers.js';

// Shape only: the benchmark's load generator against the example suite. No speed is asserted.
let suite: TestSuite;
const body = () => Buffer.from(JSON.stringify({ action: 'echo', text: 'smoke' }));

function checkShape(r: LoadResult): void {
  for (const k of ['requests', 'errors', 'timeouts', 'dropped', 'seconds', 'throughput', 'p50_ms', 'p99_ms', 'p999_ms', 'mean_ms', 'max_ms'] as const) {
    assert.type(r[k], 'number', k);
    assert.ok(Number.isFinite(r[k]), `${k} is finite`);
  }
  assert.ok(r.requests > 0, 'some requests were answered');
  assert.is(r.errors, 0);
  assert.is(r.timeouts, 0);
  assert.is(r.histogram.count, r.requests);
  assert.ok(r.p50_ms > 0 && r.p50_ms <= r.p99_ms && r.p99_ms <= r.max_ms, 'percentiles are ordered');
}

test.before(async () => {
  suite = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false, metrics: false });
});

test.after(async () => {
  await suite?.close();
});

test('closed loop: requests in flight over DEALER sockets, latency percentiles', async () => {
  const r = await closedLoop({ endpoint: suite.endpoint, body, inFlight: 16, sockets: 2, durationMs: 700, warmupMs: 100, check: isSuccess });
  assert.is(r.mode, 'closed');
  checkShape(r);
});

test('open loop: paced sender at a fixed rate', async () => {
  const r = await openLoop({ endpoint: suite.endpoint, body, ratePerSec: 300, durationMs: 400, warmupMs: 100, check: isSuccess });
  assert.is(r.mode, 'open');
  checkShape(r);
  assert.is(r.dropped, 0);
  assert.type(r.sender_lag_p99_ms, 'number');
});

test('a failing reply check counts as an error, not a latency sample', async () => {
  const r = await closedLoop({ endpoint: suite.endpoint, body: () => Buffer.from('{"action":"no_such_action"}'), inFlight: 4, sockets: 1, durationMs: 200, warmupMs: 50, check: isSuccess });
  assert.ok(r.errors > 0);
  assert.is(r.histogram.count, 0);
});

test('result rows: ratio computed against the baseline; skipped rows carry the reason', () => {
  const ctx = new BenchContext(true);
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    ctx.add({ name: 'x vs y', metric: 'throughput', value: 50, unit: 'req/s', baseline_name: 'raw', baseline_value: 100, target: 'ratio >= 0.7', met: false });
    ctx.skip('z', 'p50', 'suite did not start');
  } finally {
    process.stdout.write = write;
  }
  const [row, skipped] = ctx.rows;
  assert.equal(Object.keys(row!).slice(0, 7), ['name', 'metric', 'value', 'unit', 'baseline_name', 'baseline_value', 'ratio']);
  assert.is(row!.ratio, 0.5);
  assert.is(skipped!.value, null);
  assert.match(skipped!.note ?? '', /^skipped: suite did not start/);
  const table = formatTable(ctx.rows).split('\n');
  assert.match(table[0]!, /^case\s+metric\s+value/);
  assert.is(table.length, 6); // header, rule, 2 rows, blank, the skip reason
  assert.match(table[5]!, /^\* z · p50: skipped: suite did not start/);
});

test.run();

import type { BenchContext } from '../BenchContext.js';
import { closedLoop, openLoop } from '../loadGenerator.js';
import { isSuccess, rawEcho, suiteChild } from '../servers.js';
import { CACHE_GET_BODY, ECHO_BODY, IN_FLIGHT, seedCache } from './transport.js';

const TARGET_MS = 2;
/** Issue 20: MemoryHub's p99 at half its maximum within 1.2× the raw echo's at the same rate. */
const HUB_RATIO = 1.2;

/**
 * p99 at half the suite's measured maximum throughput, sent open-loop by a paced sender (latency
 * from each request's due time). The raw echo is driven at the same rate as the baseline.
 */
async function atHalfMax(ctx: BenchContext, label: string, endpoint: string, body: Buffer, maxRatio?: number): Promise<void> {
  const raw = await rawEcho(ctx);
  let max = ctx.notes.get(`max:${label}`);
  if (max === undefined) {
    max = (await closedLoop({ endpoint, body: () => body, inFlight: IN_FLIGHT, durationMs: ctx.quick ? 1000 : 2000, check: isSuccess })).throughput;
  }
  const rate = Math.max(100, Math.round(max / 2));
  const durationMs = ctx.quick ? 1000 : 5000;
  const r = await openLoop({ endpoint: raw.endpoint, body: () => body, ratePerSec: rate, durationMs });
  const s = await openLoop({ endpoint, body: () => body, ratePerSec: rate, durationMs, check: isSuccess });
  const name = `latency under load: ${label}`;
  const bad = s.errors + s.timeouts + s.dropped;
  ctx.add({
    name, metric: `p99 at ${rate} req/s (half of max)`, value: s.p99_ms, unit: 'ms', baseline_name: 'raw ROUTER echo, same rate', baseline_value: r.p99_ms,
    ...(maxRatio !== undefined
      ? { target: `ratio <= ${maxRatio}`, met: s.p99_ms <= maxRatio * r.p99_ms && bad === 0 }
      : { target: `< ${TARGET_MS} ms`, met: s.p99_ms < TARGET_MS && bad === 0 }),
    note: `sender lag p99 ${s.sender_lag_p99_ms?.toFixed(2)} ms (not counted)` + (bad ? `; ${s.errors} errors, ${s.timeouts} timeouts, ${s.dropped} dropped` : '') +
      (s.errorSample ? `; first error reply: ${s.errorSample}` : ''),
  });
  ctx.add({ name, metric: `p50 at ${rate} req/s (half of max)`, value: s.p50_ms, unit: 'ms', baseline_name: 'raw ROUTER echo, same rate', baseline_value: r.p50_ms });
}

export async function exampleSuiteUnderLoad(ctx: BenchContext): Promise<void> {
  try {
    const suite = await suiteChild(ctx, 'ExampleSuite');
    await atHalfMax(ctx, 'ExampleSuite echo', suite.endpoint, ECHO_BODY);
  } catch (err) {
    ctx.skip('latency under load: ExampleSuite echo', 'p99 at half of max', (err as Error).message, `< ${TARGET_MS} ms`);
  }
}

export async function memoryHubGetUnderLoad(ctx: BenchContext): Promise<void> {
  try {
    const suite = await suiteChild(ctx, 'MemoryHub');
    await seedCache(suite.endpoint);
    await atHalfMax(ctx, 'MemoryHub get', suite.endpoint, CACHE_GET_BODY, HUB_RATIO);
  } catch (err) {
    ctx.skip('latency under load: MemoryHub get', 'p99 at half of max', (err as Error).message, `ratio <= ${HUB_RATIO}`);
  }
}

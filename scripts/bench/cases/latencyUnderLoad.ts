import type { BenchContext } from '../BenchContext.js';
import { closedLoop, openLoop, type LoadResult } from '../loadGenerator.js';
import { isSuccess, rawEcho, suiteChild } from '../servers.js';
import { CACHE_GET_BODY, ECHO_BODY, IN_FLIGHT, seedCache } from './transport.js';

const TARGET_MS = 2;
/** Issue 20: MemoryHub's p99 at half its maximum within 1.2× the raw echo's at the same rate. */
const HUB_RATIO = 1.2;

/** Rounds of raw echo then suite, each `durationMs`; the figures are the rounds' medians. */
const ROUNDS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * p99 at half the suite's measured maximum throughput, sent open-loop by a paced sender (latency
 * from each request's due time). The raw echo is driven at the same rate as the baseline. The two
 * take turns (raw, suite, raw, suite, ...) and each side's figure is the median over its rounds:
 * this 2-core host's background load drifts on a scale of seconds, and one 5 s run of each, one
 * after the other, gave ratios from 0.7 to 2.8 for the same build.
 */
async function atHalfMax(ctx: BenchContext, label: string, endpoint: string, body: Buffer, maxRatio?: number): Promise<void> {
  const raw = await rawEcho(ctx);
  let max = ctx.notes.get(`max:${label}`);
  if (max === undefined) {
    max = (await closedLoop({ endpoint, body: () => body, inFlight: IN_FLIGHT, durationMs: ctx.quick ? 1000 : 2000, check: isSuccess })).throughput;
  }
  const rate = Math.max(100, Math.round(max / 2));
  const durationMs = ctx.quick ? 1000 : 5000;
  const rounds = ctx.quick ? 1 : ROUNDS;
  const raws: LoadResult[] = [];
  const suites: LoadResult[] = [];
  for (let i = 0; i < rounds; i++) {
    raws.push(await openLoop({ endpoint: raw.endpoint, body: () => body, ratePerSec: rate, durationMs }));
    suites.push(await openLoop({ endpoint, body: () => body, ratePerSec: rate, durationMs, check: isSuccess }));
  }
  const p99 = median(suites.map((s) => s.p99_ms));
  const rawP99 = median(raws.map((r) => r.p99_ms));
  const name = `latency under load: ${label}`;
  const sum = (k: 'errors' | 'timeouts' | 'dropped') => suites.reduce((a, s) => a + s[k], 0);
  const bad = sum('errors') + sum('timeouts') + sum('dropped');
  const fmt = (xs: LoadResult[]) => xs.map((x) => x.p99_ms.toFixed(2)).join(' / ');
  const errorSample = suites.find((s) => s.errorSample)?.errorSample;
  ctx.add({
    name, metric: `p99 at ${rate} req/s (half of max)`, value: p99, unit: 'ms', baseline_name: 'raw ROUTER echo, same rate', baseline_value: rawP99,
    ...(maxRatio !== undefined
      ? { target: `ratio <= ${maxRatio}`, met: p99 <= maxRatio * rawP99 && bad === 0 }
      : { target: `< ${TARGET_MS} ms`, met: p99 < TARGET_MS && bad === 0 }),
    note: `median of ${rounds} interleaved ${durationMs / 1000} s rounds; p99 per round: suite ${fmt(suites)}, raw ${fmt(raws)} ms; ` +
      `sender lag p99 ${median(suites.map((s) => s.sender_lag_p99_ms ?? 0)).toFixed(2)} ms (not counted)` +
      (bad ? `; ${sum('errors')} errors, ${sum('timeouts')} timeouts, ${sum('dropped')} dropped` : '') +
      (errorSample ? `; first error reply: ${errorSample}` : ''),
  });
  ctx.add({
    name, metric: `p50 at ${rate} req/s (half of max)`, value: median(suites.map((s) => s.p50_ms)), unit: 'ms',
    baseline_name: 'raw ROUTER echo, same rate', baseline_value: median(raws.map((r) => r.p50_ms)),
  });
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

import { ZmqClient } from '../../../src/transport/ZmqClient.js';
import type { BenchContext } from '../BenchContext.js';
import { closedLoop, type LoadResult } from '../loadGenerator.js';
import { isSuccess, rawEcho, suiteChild } from '../servers.js';
import { cpuSeconds } from '../procStatus.js';

export const IN_FLIGHT = 64;
export const ECHO_BODY = Buffer.from(JSON.stringify({ action: 'echo', text: 'hello from the benchmark' }));
export const CACHE_GET_BODY = Buffer.from(JSON.stringify({ action: 'get', cache_type: 'bench', key: 'k1' }));

/** Seeds the cache entry the `get` benchmarks read. */
export async function seedCache(endpoint: string): Promise<void> {
  const c = new ZmqClient(endpoint, { timeoutMs: 5000 });
  try {
    const r = await c.request({ action: 'put', cache_type: 'bench', key: 'k1', value: { text: 'cached value', n: 42 }, ttl: 3600 });
    if (r?.status !== 'success') throw new Error(`cache put failed: ${JSON.stringify(r)}`);
    const g = await c.request(JSON.parse(CACHE_GET_BODY.toString()));
    if (g?.status !== 'success') throw new Error(`cache get failed: ${JSON.stringify(g)}`);
  } finally {
    c.close();
  }
}

function medianRun(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.throughput - b.throughput);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Same body, same client pattern (64 in flight over 4 DEALER sockets), alternating raw and suite
 * rounds so drift on a shared machine hits both; the median round of each is reported.
 */
async function compare(ctx: BenchContext, label: string, endpoint: string, pid: number, body: Buffer, target: number | undefined): Promise<void> {
  const raw = await rawEcho(ctx);
  const rounds = ctx.quick ? 1 : 3;
  const durationMs = ctx.quick ? 1000 : 3000;
  const warmupMs = ctx.quick ? 200 : 500;
  const rawRuns: LoadResult[] = [];
  const suiteRuns: LoadResult[] = [];
  const rawCpu: number[] = [];
  const suiteCpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    rawRuns.push(await withCpu(raw.pid, rawCpu, () => closedLoop({ endpoint: raw.endpoint, body: () => body, inFlight: IN_FLIGHT, durationMs, warmupMs })));
    suiteRuns.push(await withCpu(pid, suiteCpu, () => closedLoop({ endpoint, body: () => body, inFlight: IN_FLIGHT, durationMs, warmupMs, check: isSuccess })));
  }
  const r = medianRun(rawRuns);
  const s = medianRun(suiteRuns);
  const errors = suiteRuns.reduce((n, x) => n + x.errors + x.timeouts, 0);
  const name = `transport echo vs ${label}`;
  ctx.notes.set(`max:${label}`, s.throughput);
  ctx.notes.set('max:raw echo', Math.max(ctx.notes.get('max:raw echo') ?? 0, r.throughput));
  const ratio = s.throughput / r.throughput;
  ctx.add({
    name, metric: 'throughput (64 in flight)', value: s.throughput, unit: 'req/s', baseline_name: 'raw ROUTER echo', baseline_value: r.throughput,
    ...(target !== undefined ? { target: `ratio >= ${target}`, met: ratio >= target && errors === 0 } : {}),
    ...(errors ? { note: `${errors} error/timeout replies${suiteRuns.find((x) => x.errorSample)?.errorSample ? `; first: ${suiteRuns.find((x) => x.errorSample)!.errorSample}` : ''}` } : {}),
  });
  ctx.add({ name, metric: 'p50 latency (64 in flight)', value: s.p50_ms, unit: 'ms', baseline_name: 'raw ROUTER echo', baseline_value: r.p50_ms });
  ctx.add({ name, metric: 'p99 latency (64 in flight)', value: s.p99_ms, unit: 'ms', baseline_name: 'raw ROUTER echo', baseline_value: r.p99_ms });
  // CPU time of the server process per answered request: steadier than throughput on a busy host.
  ctx.add({ name, metric: 'server CPU per request', value: median(suiteCpu), unit: 'µs', baseline_name: 'raw ROUTER echo', baseline_value: median(rawCpu) });
}

/** Runs a load and pushes the server's CPU µs per answered request (warm-up included in both). */
async function withCpu(pid: number, out: number[], load: () => Promise<LoadResult>): Promise<LoadResult> {
  const c0 = cpuSeconds(pid);
  const r = await load();
  const c1 = cpuSeconds(pid);
  if (c0 !== undefined && c1 !== undefined && r.allReplies > 0) out.push(((c1 - c0) * 1e6) / r.allReplies);
  return r;
}

function median(xs: number[]): number {
  if (!xs.length) return Number.NaN;
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
}

/** Framework overhead alone: ExampleSuite's trivial `echo` action against the raw echo. */
export async function exampleSuiteEcho(ctx: BenchContext): Promise<void> {
  const label = 'ExampleSuite echo';
  try {
    const suite = await suiteChild(ctx, 'ExampleSuite');
    await compare(ctx, label, suite.endpoint, suite.pid, ECHO_BODY, undefined);
  } catch (err) {
    ctx.skip(`transport echo vs ${label}`, 'throughput (64 in flight)', (err as Error).message);
  }
}

/** MemoryHub's cache `get` (CacheManager, Redis db0) against the raw echo; target ratio ≥ 0.7. */
export async function memoryHubGet(ctx: BenchContext): Promise<void> {
  const label = 'MemoryHub get';
  try {
    const suite = await suiteChild(ctx, 'MemoryHub');
    await seedCache(suite.endpoint);
    await compare(ctx, label, suite.endpoint, suite.pid, CACHE_GET_BODY, 0.7);
  } catch (err) {
    ctx.skip(`transport echo vs ${label}`, 'throughput (64 in flight)', (err as Error).message, 'ratio >= 0.7');
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { readState } from '../../../src/launcher/stateFile.js';
import { SUITES } from '../../../src/suites/registry.js';
import { reqOnce, deleteRedisPrefix } from '../../../tests/helpers/suiteHarness.js';
import type { BenchContext } from '../BenchContext.js';
import { BENCH_REDIS_URL, REPO_ROOT, spawnSuite } from '../benchProcesses.js';
import { closedLoop } from '../loadGenerator.js';
import { cmdline, rssMiB } from '../procStatus.js';
import { CACHE_GET_BODY, seedCache } from './transport.js';

const SUITE_NAMES = ['MemoryHub', 'ModelManagerSuite', 'AdaptiveLearningSuite'] as const;
/** A cheap read per suite for the under-load RSS figure. */
const LOAD_BODY: Record<string, Buffer> = {
  MemoryHub: CACHE_GET_BODY,
  ModelManagerSuite: Buffer.from(JSON.stringify({ action: 'models.list' })),
  AdaptiveLearningSuite: Buffer.from(JSON.stringify({ action: 'training.status' })),
};
const ALL_PORTS = [7010, 7011, 7012, 7110, 7111, 7112, 9010, 9011, 9012, 7150, 7151];

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** A PORT_OFFSET under which every port of the all-in-one config is free right now. */
async function freeOffset(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    // Shifted ports stay below 32768, where the kernel never hands out ephemeral ports.
    const offset = 10_000 + 1000 * Math.floor(Math.random() * 12);
    const free = await Promise.all(ALL_PORTS.map((p) => portFree(p + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free PORT_OFFSET found');
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const buf = await reqOnce(endpoint, Buffer.from('{"action":"health_check"}'), 300);
    const h = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    return h.initialized === true || h.ready === true;
  } catch {
    return false;
  }
}

async function waitAllHealthy(endpoints: string[], timeoutMs: number, child?: ChildProcess): Promise<void> {
  const pending = new Set(endpoints);
  const until = performance.now() + timeoutMs;
  while (pending.size) {
    if (child && child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}`);
    if (performance.now() > until) throw new Error(`not healthy within ${timeoutMs} ms: ${[...pending].join(', ')}`);
    await Promise.all([...pending].map(async (e) => ((await healthy(e)) ? pending.delete(e) : undefined)));
    if (pending.size) await new Promise((r) => setTimeout(r, 50));
  }
}

function stopLauncher(child: ChildProcess, pids: number[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(kill);
      for (const pid of pids) {
        // Only a suite process this run started that outlived its launcher.
        if (!cmdline(pid).includes('agent-suites.js serve')) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      resolve();
    };
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      done();
    }, 30_000);
    if (child.exitCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGTERM');
  });
}

/** The last error-looking line of each suite's log under DATA_DIR/logs (why a suite did not come up). */
function suiteLogErrors(dataDir: string): string {
  const out: string[] = [];
  for (const n of SUITE_NAMES) {
    const file = join(dataDir, 'logs', `${n}.log`);
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => /error|Error|throw|failed/.test(l));
    const last = lines.at(-1);
    if (last) out.push(`${n}: ${last.replace(/^.*"msg":"/, '').slice(0, 200)}`);
  }
  return out.join(' | ');
}

/** One ExampleSuite `serve` process: spawn to ready, the bare framework's start-up (baseline). */
async function baselineStart(): Promise<{ seconds: number; rss: number }> {
  const t0 = performance.now();
  const c = await spawnSuite('ExampleSuite');
  try {
    await waitAllHealthy([c.healthEndpoint!], 30_000);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, rss: rssMiB(c.pid) ?? Number.NaN };
  } finally {
    await c.stop();
  }
}

/**
 * `agent-suites start --config startup_config/all-in-one.yaml` under a free PORT_OFFSET and a
 * temp DATA_DIR: seconds until all three suites answer health, then each suite's RSS idle and at
 * its peak while 64 requests are kept in flight against it. Baseline: one ExampleSuite process.
 */
export async function startup(ctx: BenchContext): Promise<void> {
  const name = 'start-up: all-in-one (3 suites + error bus)';
  let base: { seconds: number; rss: number };
  try {
    base = await baselineStart();
  } catch (err) {
    ctx.skip(name, 'time until all answer health', `baseline failed: ${(err as Error).message}`);
    return;
  }
  const offset = await freeOffset();
  const dataDir = mkdtempSync(join(tmpdir(), 'as-bench-startup-'));
  const prefix = `bench:${randomBytes(5).toString('hex')}:`;
  const env = {
    ...process.env, PORT_OFFSET: String(offset), DATA_DIR: dataDir, REDIS_URL: BENCH_REDIS_URL, REDIS_KEY_PREFIX: prefix,
    SDT_REGISTRATION: '0', LOG_LEVEL: 'warn', NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true',
  };
  const healthEndpoints = SUITE_NAMES.map((n) => `tcp://127.0.0.1:${SUITES[n]!.healthPort + offset}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/agent-suites.js'), 'start', '--config', 'startup_config/all-in-one.yaml'], {
    cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-600)));
  let pids: number[] = [];
  try {
    await waitAllHealthy(healthEndpoints, 120_000, child);
    const seconds = (performance.now() - t0) / 1000;
    ctx.add({
      name, metric: 'time until all 3 answer health', value: seconds, unit: 's', baseline_name: 'one ExampleSuite serve process', baseline_value: base.seconds,
      target: '<= 2 s', met: seconds <= 2,
      note: 'the suites run the dist/ bundle (as npm start does); the baseline\'s example suite is TypeScript, so its process runs the sources through tsx',
    });
    const state = readState(dataDir);
    await new Promise((r) => setTimeout(r, ctx.quick ? 300 : 1000)); // let start-up work settle
    for (const suiteName of SUITE_NAMES) {
      const s = state?.suites.find((x) => x.name === suiteName);
      if (!s?.pid) {
        ctx.skip(`RSS: ${suiteName}`, 'idle', 'no pid in launcher-state.json');
        continue;
      }
      pids.push(s.pid);
      const idle = rssMiB(s.pid) ?? Number.NaN;
      ctx.add({ name: `RSS: ${suiteName}`, metric: 'idle', value: idle, unit: 'MiB', baseline_name: 'ExampleSuite idle', baseline_value: base.rss });
      const endpoint = `tcp://127.0.0.1:${SUITES[suiteName]!.port + offset}`;
      if (suiteName === 'MemoryHub') await seedCache(endpoint).catch(() => {});
      let peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(s.pid!) ?? 0)), 50);
      const load = await closedLoop({ endpoint, body: () => LOAD_BODY[suiteName]!, inFlight: 64, durationMs: ctx.quick ? 700 : 4000 });
      clearInterval(sampler);
      peak = Math.max(peak, rssMiB(s.pid) ?? 0);
      ctx.add({
        name: `RSS: ${suiteName}`, metric: `peak under load (64 in flight, ${LOAD_BODY[suiteName]!.toString().match(/"action":"([^"]+)"/)?.[1]})`,
        value: peak, unit: 'MiB', baseline_name: 'own idle RSS', baseline_value: idle,
        note: `${Math.round(load.throughput)} req/s during the load`,
      });
    }
  } catch (err) {
    ctx.skip(name, 'time until all answer health', `${(err as Error).message}; ${suiteLogErrors(dataDir) || stderr}`);
  } finally {
    pids = [...new Set([...pids, ...(readState(dataDir)?.suites.map((s) => s.pid ?? 0).filter(Boolean) ?? [])])];
    await stopLauncher(child, pids);
    await deleteRedisPrefix(BENCH_REDIS_URL, prefix).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// npm run soak [-- --duration 10m --kill-every 90s --fuzz-every 45s --fuzz-frames 1000 --workers 6]
//
// A longer mixed run against all three suites as child processes on 127.0.0.1 (issue 10): a
// weighted traffic mix, one suite SIGKILLed and restarted on the same ports and data folder in
// turn, bursts of malformed frames, RSS sampled throughout. Stops by itself after --duration and
// prints a summary; exits 1 if an acknowledged memory was lost, a fuzz frame went unanswered, a
// suite died on its own, or a request timed out while its suite was up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ensureTinyModel } from './makeTinyGguf.js';
import { runFuzz } from './reliability/runFuzz.js';
import { operations, pick, SoakState, SuiteStats, type SuiteName } from './reliability/soakTraffic.js';
import { ZmqClient, ZmqTimeoutError } from '../src/transport/ZmqClient.js';
import { spawnSuite, type SuiteProcess } from '../tests/helpers/suiteProcess.js';

process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';

/** "90", "90s", "10m", "1h" → milliseconds. */
function duration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new Error(`not a duration: ${v} (e.g. 90s, 10m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.SOAK_DURATION ?? '10m' },
    'kill-every': { type: 'string', default: '90s' },
    'fuzz-every': { type: 'string', default: '45s' },
    'fuzz-frames': { type: 'string', default: '1000' },
    workers: { type: 'string', default: '6' },
  },
});
const DURATION_MS = duration(args.duration!);
const KILL_EVERY_MS = duration(args['kill-every']!);
const FUZZ_EVERY_MS = duration(args['fuzz-every']!);
const FUZZ_FRAMES = Number(args['fuzz-frames']);
const WORKERS = Number(args.workers);
const SUITES: SuiteName[] = ['MemoryHub', 'ModelManagerSuite', 'AdaptiveLearningSuite'];

const root = mkdtempSync(join(tmpdir(), 'as-soak-'));
const prefix = `soak:${randomBytes(4).toString('hex')}:`;
// Children talk only to 127.0.0.1: local Redis, no error bus, no peers (no --config peers).
const env = { MAINPC_IP: '127.0.0.1', PC2_IP: '127.0.0.1', ERROR_BUS_ENDPOINT: '', BIND_ADDRESS: '127.0.0.1' };
const procs = new Map<SuiteName, SuiteProcess>();
const down = new Set<SuiteName>();
/** Bumped at every kill, so a request that straddled a restart is not blamed on the new process. */
const incarnation = new Map<SuiteName, number>(SUITES.map((s) => [s, 0]));
const stats = new Map<SuiteName, SuiteStats>(SUITES.map((s) => [s, new SuiteStats()]));
const state = new SoakState();
const events: string[] = [];
const fuzz = { bursts: 0, sent: 0, unanswered: 0 };
let kills = 0;
let lost = 0;
let unexpectedExits = 0;
let stopping = false;
const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s`;
const log = (line: string) => {
  events.push(`${stamp()} ${line}`);
  console.log(`${stamp()} ${line}`);
};

async function configFiles(): Promise<Record<SuiteName, string | undefined>> {
  const tiny = await ensureTinyModel();
  const write = (suite: SuiteName, config: Record<string, unknown>) => {
    const file = join(root, `${suite}.yaml`);
    writeFileSync(file, JSON.stringify({ schema_version: 1, machine: 'soak', services: { [suite]: { enabled: true, port: 1, health_port: 2, metrics_port: 3, config } } }));
    return file;
  };
  return {
    MemoryHub: undefined,
    ModelManagerSuite: write('ModelManagerSuite', {
      gpu: false,
      budget: { mb: 1000 },
      gpu_lock: { mode: 'off' },
      models: [{ id: 'tiny', path: tiny, context_size: 256, threads: 1, sequences: 2, estimated_vram_mb: 30 }],
    }),
    AdaptiveLearningSuite: write('AdaptiveLearningSuite', { models: { tiny }, evaluate_adapters: false }),
  };
}

async function start(suite: SuiteName, configs: Record<SuiteName, string | undefined>): Promise<void> {
  const prev = procs.get(suite);
  const p = await spawnSuite(suite, {
    dataDir: join(root, 'data'),
    redisKeyPrefix: prefix,
    config: configs[suite],
    ports: prev?.ports,
    env,
    startTimeoutMs: 120_000,
  });
  p.child.once('exit', (code, signal) => {
    if (!stopping && signal !== 'SIGKILL') {
      unexpectedExits++;
      log(`!! ${suite} exited on its own (code ${code}, signal ${signal}):\n${p.output().slice(-2000)}`);
    }
  });
  procs.set(suite, p);
}

async function worker(id: number): Promise<void> {
  const ops = operations(state);
  const clients = new Map<SuiteName, ZmqClient>();
  try {
    while (!stopping) {
      const suite = SUITES[(id + Math.floor(Math.random() * 3)) % 3]!;
      const s = stats.get(suite)!;
      const proc = procs.get(suite);
      if (!proc || down.has(suite)) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      let c = clients.get(suite);
      if (!c || c.endpoint !== proc.endpoint) clients.set(suite, (c = new ZmqClient(proc.endpoint, { timeoutMs: 10_000 })));
      const op = pick(ops[suite]);
      const life = incarnation.get(suite);
      const started = performance.now();
      s.requests++;
      try {
        const reply = await op.run(c);
        s.latency.record(performance.now() - started);
        if (reply.status === 'error') {
          s.errorReplies++;
          s.errorsByOp.set(op.name, (s.errorsByOp.get(op.name) ?? 0) + 1);
        } else s.ok++;
      } catch (err) {
        if (down.has(suite) || incarnation.get(suite) !== life || !(err instanceof ZmqTimeoutError)) s.unavailable++;
        else s.timeouts++;
        c.close();
        clients.delete(suite);
      }
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
}

/** Every acknowledged memory is still there (after a MemoryHub restart). */
async function checkMemories(): Promise<void> {
  const c = new ZmqClient(procs.get('MemoryHub')!.endpoint, { timeoutMs: 15_000 });
  try {
    const ids = [...state.memories.keys()];
    let missing = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const r = await c.request({ action: 'batch_get_memories', data: { memory_ids: chunk } });
      missing += chunk.length - Number(r.count ?? 0);
    }
    lost += missing;
    log(`checked ${ids.length} acknowledged memories after restart: ${missing} missing`);
  } finally {
    c.close();
  }
}

async function killLoop(configs: Record<SuiteName, string | undefined>): Promise<void> {
  for (let i = 0; !stopping; i++) {
    await sleepUnlessStopping(KILL_EVERY_MS);
    if (stopping) return;
    const suite = SUITES[i % 3]!;
    down.add(suite);
    incarnation.set(suite, incarnation.get(suite)! + 1);
    await procs.get(suite)!.kill();
    kills++;
    log(`SIGKILL ${suite}`);
    const t = Date.now();
    await start(suite, configs);
    down.delete(suite);
    log(`${suite} back in ${Date.now() - t} ms`);
    if (suite === 'MemoryHub') await checkMemories();
  }
}

async function fuzzLoop(): Promise<void> {
  for (let i = 0; !stopping; i++) {
    await sleepUnlessStopping(FUZZ_EVERY_MS);
    const suite = SUITES[i % 3]!;
    if (stopping || down.has(suite)) continue;
    const p = procs.get(suite)!;
    try {
      const r = await runFuzz(p.endpoint, { count: FUZZ_FRAMES, concurrency: 8, seed: 1000 + i, timeoutMs: 15_000 });
      fuzz.bursts++;
      fuzz.sent += r.sent;
      // Frames sent into a suite that was killed meanwhile are not the suite's fault.
      if (!down.has(suite)) fuzz.unanswered += r.unanswered;
      log(`fuzz burst → ${suite}: ${r.sent} frames, ${r.unanswered} unanswered`);
    } catch (err) {
      log(`fuzz burst → ${suite} skipped: ${(err as Error).message}`);
    }
  }
}

async function rssLoop(): Promise<void> {
  while (!stopping) {
    for (const s of SUITES) {
      const p = procs.get(s);
      if (p && !down.has(s)) {
        try {
          stats.get(s)!.rss.push({ t: Date.now() - t0, mb: p.rss() / 1e6 });
        } catch {
          /* between kill and restart */
        }
      }
    }
    await sleepUnlessStopping(10_000);
  }
}

const sleepers = new Set<() => void>();
/** Sleeps `ms`, or less when the run stops. */
function sleepUnlessStopping(ms: number): Promise<void> {
  return new Promise((r) => {
    const done = () => {
      clearTimeout(t);
      sleepers.delete(done);
      r();
    };
    const t = setTimeout(done, ms);
    sleepers.add(done);
  });
}

function summary(): string {
  const lines = [`\nsoak summary — ${(DURATION_MS / 1000).toFixed(0)} s, ${WORKERS} workers, ${kills} SIGKILL+restart, ${fuzz.bursts} fuzz bursts`];
  lines.push('suite                  requests       ok  err-reply  down  timeouts   p50 ms   p99 ms   max ms   RSS MB first→min/max→last');
  for (const s of SUITES) {
    const st = stats.get(s)!;
    const rss = st.rss.map((r) => r.mb);
    const trend = rss.length ? `${rss[0]!.toFixed(0)}→${Math.min(...rss).toFixed(0)}/${Math.max(...rss).toFixed(0)}→${rss[rss.length - 1]!.toFixed(0)}` : '-';
    const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-').padStart(8);
    lines.push(
      `${s.padEnd(22)}${String(st.requests).padStart(9)}${String(st.ok).padStart(9)}${String(st.errorReplies).padStart(11)}${String(st.unavailable).padStart(6)}${String(st.timeouts).padStart(10)} ${f(st.latency.percentile(50))} ${f(st.latency.percentile(99))} ${f(st.latency.max())}   ${trend}`,
    );
    if (st.errorsByOp.size) lines.push(`  error replies by action: ${[...st.errorsByOp].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  lines.push(`acknowledged memories: ${state.memories.size}, lost: ${lost}`);
  lines.push(`fuzz frames: ${fuzz.sent}, unanswered: ${fuzz.unanswered}`);
  lines.push(`suites that exited on their own: ${unexpectedExits}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  console.log(`soak: ${args.duration} against ${SUITES.join(', ')} on 127.0.0.1 (data ${root}, Redis prefix ${prefix})`);
  const configs = await configFiles();
  for (const s of SUITES) await start(s, configs);
  log('all suites up');
  const stopTimer = setTimeout(() => {
    stopping = true;
    for (const w of [...sleepers]) w();
  }, DURATION_MS);
  await Promise.all([...Array.from({ length: WORKERS }, (_, i) => worker(i)), killLoop(configs), fuzzLoop(), rssLoop()]);
  clearTimeout(stopTimer);
  await checkMemories();
  const timeouts = [...stats.values()].reduce((n, s) => n + s.timeouts, 0);
  console.log(summary());
  return lost > 0 || fuzz.unanswered > 0 || unexpectedExits > 0 || timeouts > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error('soak failed:', err);
} finally {
  stopping = true;
  await Promise.allSettled([...procs.values()].map((p) => p.stop()));
  rmSync(root, { recursive: true, force: true });
}
process.exit(code);

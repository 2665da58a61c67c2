import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';
import { reqOnce, deleteRedisPrefix, TEST_REDIS_URL } from './suiteHarness.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface SuiteProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly endpoint: string;
  readonly healthEndpoint: string;
  readonly ports: { port: number; healthPort: number; metricsPort: number };
  readonly dataDir: string;
  readonly output: () => string;
  /** RSS of the suite process in bytes (from /proc). */
  rss(): number;
  health(timeoutMs?: number): Promise<any>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** SIGTERM, wait up to 10 s, then SIGKILL; optionally remove the data folder and Redis keys. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export interface SpawnOptions {
  dataDir?: string;
  redisUrl?: string | 'none';
  redisKeyPrefix?: string;
  env?: Record<string, string>;
  /** Reuse these ports (restart after a crash). */
  ports?: { port: number; healthPort: number; metricsPort: number };
  config?: string;
  extraSuites?: string[];
  startTimeoutMs?: number;
  /** Node flags for the child (added to SUITE_NODE_FLAGS). */
  nodeFlags?: string[];
}

/** Runs `agent-suites serve --suite NAME` as a real child process and waits until its health socket says ok. */
export async function spawnSuite(name: string, opts: SpawnOptions = {}): Promise<SuiteProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'as-proc-'));
  const ports = opts.ports ?? (() => null)();
  const [port, healthPort, metricsPort] = ports ? [ports.port, ports.healthPort, ports.metricsPort] : ((await freePorts(3)) as [number, number, number]);
  const redisKeyPrefix = opts.redisKeyPrefix ?? `test:${randomBytes(6).toString('hex')}:`;
  const args = [join(REPO, 'bin/agent-suites.js'), 'serve', '--suite', name, '--port', String(port), '--health-port', String(healthPort), '--metrics-port', String(metricsPort), '--bind', '127.0.0.1'];
  if (opts.config) args.push('--config', opts.config);
  const child = spawn(process.execPath, [...(process.env.SUITE_NODE_FLAGS ?? '').split(' ').filter(Boolean), ...(opts.nodeFlags ?? []), ...args], {
    cwd: REPO,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      REDIS_URL: opts.redisUrl ?? TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      AGENT_SUITES_EXTRA_SUITES: (opts.extraSuites ?? []).join(','),
      ...(opts.env ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const healthEndpoint = `tcp://127.0.0.1:${healthPort}`;
  const health = async (timeoutMs = 2000) => JSON.parse((await reqOnce(healthEndpoint, Buffer.from('{"action":"health_check"}'), timeoutMs)).toString());
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} during start:\n${out.slice(-3000)}`);
    try {
      const h = await health(1000);
      if (h.status === 'ok' || h.status === 'degraded') {
        if (out.includes('"event":"ready"')) break;
      }
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become healthy in time:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return {
    child,
    pid: child.pid!,
    endpoint: `tcp://127.0.0.1:${port}`,
    healthEndpoint,
    ports: { port, healthPort, metricsPort },
    dataDir,
    output: () => out,
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    },
    health,
    kill,
    async stop(o = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      if (!o.keepData) {
        rmSync(dataDir, { recursive: true, force: true });
        if (opts.redisUrl !== 'none') await deleteRedisPrefix(opts.redisUrl ?? TEST_REDIS_URL, redisKeyPrefix).catch(() => {});
      }
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { deleteRedisPrefix } from '../../tests/helpers/suiteHarness.js';
import { freePorts } from '../../tests/helpers/ports.js';
import { suiteNodeFlags } from '../../src/launcher/suiteNodeFlags.js';

export const REPO_ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const BENCH_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const EXAMPLE_SUITE_MODULE = join(REPO_ROOT, 'tests/fixtures/example-suite/ExampleSuite.ts');

/** A server the benchmarks started as a child process. */
export interface BenchChild {
  readonly label: string;
  readonly pid: number;
  readonly endpoint: string;
  readonly healthEndpoint?: string;
  readonly dataDir?: string;
  readonly redisKeyPrefix?: string;
  /** Last lines the child wrote to stderr (for skip reasons). */
  stderrTail(): string;
  stop(): Promise<void>;
}

/** Waits for the child's `{"event":"ready"}` line on stdout; rejects if it exits or times out. */
function waitReady(child: ChildProcess, label: string, timeoutMs: number, tail: () => string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`${label} not ready within ${timeoutMs} ms: ${tail()}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.includes('"event":"ready"')) {
          cleanup();
          resolvePromise();
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`${label} exited (${signal ?? code}) before it was ready: ${tail()}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    // Generous: a MemoryHub with a million memories saves its vector graph on the way out.
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', () => {
      clearTimeout(kill);
      res();
    });
    child.kill('SIGTERM');
  });
}

function startChild(label: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; tail: () => string } {
  // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the servers under load.
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeFlags, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  child.stderr?.on('data', (c: Buffer) => {
    for (const l of c.toString('utf8').split('\n')) if (l.trim()) lines.push(l.length > 400 ? l.slice(0, 400) + '…' : l);
    if (lines.length > 30) lines.splice(0, lines.length - 30);
  });
  // Keep reading stdout so the pipe never fills up.
  child.stdout?.resume();
  return { child, tail: () => lines.slice(-5).join(' | ') };
}

/** The raw zeromq.js ROUTER echo server (the transport's ceiling). */
export async function spawnRawEcho(): Promise<BenchChild> {
  const [port] = await freePorts(1);
  const { child, tail } = startChild('raw echo', ['--import', 'tsx', join(REPO_ROOT, 'scripts/bench/rawEchoServer.ts'), String(port)], process.env);
  try {
    await waitReady(child, 'raw echo server', 30_000, tail);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { label: 'raw echo', pid: child.pid!, endpoint: `tcp://127.0.0.1:${port}`, stderrTail: tail, stop: () => stopChild(child) };
}

export interface SpawnSuiteOptions {
  /** The suite's `config:` block. */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

/**
 * One suite via `bin/agent-suites.js serve` on free loopback ports, with a temp DATA_DIR and a Redis
 * key prefix of its own (both removed on stop). The example suite is made known through
 * AGENT_SUITES_EXTRA_SUITES.
 */
export async function spawnSuite(name: string, opts: SpawnSuiteOptions = {}): Promise<BenchChild> {
  const [port, healthPort] = await freePorts(2);
  const dataDir = mkdtempSync(join(tmpdir(), `as-bench-${name.toLowerCase()}-`));
  const redisKeyPrefix = `bench:${randomBytes(5).toString('hex')}:`;
  const configFile = join(dataDir, 'bench.yaml');
  writeFileSync(configFile, stringify({ schema_version: 1, machine: 'bench', services: { [name]: { config: opts.config ?? {} } } }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true',
    DATA_DIR: dataDir,
    REDIS_URL: BENCH_REDIS_URL,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    SDT_REGISTRATION: '0',
    ...(name === 'ExampleSuite' ? { AGENT_SUITES_EXTRA_SUITES: EXAMPLE_SUITE_MODULE } : {}),
    ...(opts.env ?? {}),
  };
  delete env.ERROR_BUS_ENDPOINT;
  const args = [
    ...suiteNodeFlags(name),
    join(REPO_ROOT, 'bin/agent-suites.js'), 'serve', '--suite', name, '--config', configFile,
    '--port', String(port), '--health-port', String(healthPort), '--metrics-port', '0', '--bind', '127.0.0.1',
  ];
  const { child, tail } = startChild(name, args, env);
  const cleanup = async () => {
    await stopChild(child);
    await deleteRedisPrefix(BENCH_REDIS_URL, redisKeyPrefix).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(child, name, opts.readyTimeoutMs ?? 60_000, tail);
  } catch (err) {
    await cleanup();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    label: name,
    pid: child.pid!,
    endpoint: `tcp://127.0.0.1:${port}`,
    healthEndpoint: `tcp://127.0.0.1:${healthPort}`,
    dataDir,
    redisKeyPrefix,
    stderrTail: tail,
    stop: () => (stopped ??= cleanup()),
  };
}

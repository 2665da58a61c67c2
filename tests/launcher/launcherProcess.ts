import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidAlive, readState, type LauncherState } from '../../src/launcher/stateFile.js';

/** Helpers for tests that run the real `agent-suites start` in a child process. */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'agent-suites.js');
export const FIXTURE_SUITES = path.join(ROOT, 'tests/fixtures/launcher/fixtureSuites.ts');

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export interface RunningLauncher {
  readonly child: ChildProcess;
  readonly dataDir: string;
  stdout(): string;
  stderr(): string;
  state(): LauncherState | undefined;
  /** SIGTERM and wait for the exit code (SIGKILL after `ms`). */
  stop(ms?: number): Promise<number | null>;
  /** Last-resort cleanup: kills the launcher and every suite pid it recorded. */
  kill(): void;
}

export function startLauncher(configFile: string, env: Record<string, string>, extraArgs: string[] = []): RunningLauncher {
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile, ...extraArgs], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', REDIS_URL: 'none', AGENT_SUITES_EXTRA_SUITES: FIXTURE_SUITES, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const dataDir = env.DATA_DIR!;
  const seenPids = new Set<number>();
  const state = () => {
    const s = readState(dataDir);
    for (const x of s?.suites ?? []) if (x.pid) seenPids.add(x.pid);
    return s;
  };
  return {
    child,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    state,
    async stop(ms = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); })]);
      clearTimeout(timer);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`launcher did not exit within ${ms} ms of SIGTERM`);
      }
      return code;
    },
    kill() {
      state();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const pid of seenPids) if (pidAlive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}

/** Runs one CLI command to completion. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', AGENT_SUITES_EXTRA_SUITES: FIXTURE_SUITES, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A PORT_OFFSET under which every listed base port is free right now, so the shipped startup
 * files can be run unchanged beside other tests. The shifted ports stay below 32768: the kernel
 * hands out ephemeral ports (outgoing connections, port-0 binds) from above that, so nothing
 * else grabs them while the launcher takes its seconds to start the suites.
 */
export async function pickPortOffset(ports: Array<{ host: string; port: number }>): Promise<number> {
  const top = Math.max(...ports.map((p) => p.port));
  const slots = Math.floor((32_000 - top - 10_000) / 10);
  for (let attempt = 0; attempt < 40; attempt++) {
    const offset = 10_000 + Math.floor(Math.random() * slots) * 10;
    const free = await Promise.all(ports.map((p) => canBind(p.host, p.port + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free PORT_OFFSET found');
}

/** `n` distinct ports, free right now on `host` (default: every address), from 10000-31999 (outside the ephemeral range). */
export async function pickPorts(n: number, host = '0.0.0.0'): Promise<number[]> {
  const out = new Set<number>();
  for (let attempt = 0; out.size < n && attempt < n * 50; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (!out.has(port) && (await canBind(host, port))) out.add(port);
  }
  if (out.size < n) throw new Error(`could not find ${n} free ports`);
  return [...out];
}

/**
 * Runs `fn` against a launcher started on a scratch folder with the config `yaml(ports)`, on
 * `portCount` free ports; the launcher and its suites are killed and the folder removed after.
 */
export async function withLauncher(portCount: number, yaml: (ports: number[]) => string, fn: (l: RunningLauncher, ports: number[]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'as-launch-'));
  const ports = await pickPorts(portCount);
  const file = path.join(dir, 'machine.yaml');
  writeFileSync(file, yaml(ports));
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(file, { DATA_DIR: path.join(dir, 'data') });
    await fn(l, ports);
  } finally {
    l?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

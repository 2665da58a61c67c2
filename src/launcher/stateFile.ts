import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type SuiteState =
  | 'pending'         // not started yet
  | 'waiting'         // waiting for its dependencies' health sockets
  | 'starting'        // process spawned, health socket not answering "ok" yet
  | 'healthy'
  | 'unhealthy'       // running, but the last health probe failed or said "error"
  | 'backoff'         // crashed; restart scheduled
  | 'failed'          // given up (see reason)
  | 'blocked'         // not started because a local dependency failed
  | 'stopping'
  | 'stopped';

export interface SuiteStatus {
  name: string;
  state: SuiteState;
  pid: number | null;
  host: string;
  ports: { main: number; health: number; metrics: number };
  restarts: number;
  /** Why the suite is failed/blocked/backing off, or a note such as a missing remote dependency. */
  reason: string | null;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  startedAt: string | null;
  healthyAt: string | null;
  /** Time from spawn to first healthy answer of the current process. */
  startupMs: number | null;
  lastHealth: { status: string; at: string } | null;
  registration: { ok: boolean; detail: string; at: string } | null;
  log: string;
}

export interface LauncherState {
  launcherPid: number;
  config: string;
  machine: string;
  /** PORT_OFFSET the launcher ran with (absent in files of older versions). */
  portOffset?: number;
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  startedAt: string;
  updatedAt: string;
  errorBus: { state: 'running' | 'failed' | 'stopped'; xsubPort: number; xpubPort: number; reason: string | null } | null;
  suites: SuiteStatus[];
}

export const STATE_FILE = 'launcher-state.json';
/** Where the state file goes on a clean stop: a record of the last run, which nothing follows. */
export const LAST_RUN_FILE = path.join('logs', 'launcher-last-run.json');

export function stateFilePath(dataDir: string): string {
  return path.join(dataDir, STATE_FILE);
}

/** Writes atomically (temp file + rename) so `status` never reads half a file. */
export function writeState(dataDir: string, state: LauncherState): void {
  mkdirSync(dataDir, { recursive: true });
  const file = stateFilePath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

/**
 * After a clean stop the state file must not stay where `status` and `health` look for a running
 * launcher; it is kept as logs/launcher-last-run.json (exit codes, stop order) instead.
 */
export function retireState(dataDir: string): void {
  const file = stateFilePath(dataDir);
  try {
    mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
    renameSync(file, path.join(dataDir, LAST_RUN_FILE));
  } catch {
    rmSync(file, { force: true });
  }
}

export function readState(dataDir: string): LauncherState | undefined {
  try {
    return JSON.parse(readFileSync(stateFilePath(dataDir), 'utf8')) as LauncherState;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists (signal 0 probes without touching it). */
export function pidAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

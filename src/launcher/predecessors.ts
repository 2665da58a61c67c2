import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pidAlive } from './stateFile.js';

/** A suite process left behind by an earlier launcher on the same DATA_DIR. */
export interface LeftoverSuite {
  pid: number;
  /** The `--suite` argument, when the command line could be read. */
  suite?: string;
  launcherPid: number;
}

function readEnviron(pid: number): Map<string, string> | undefined {
  try {
    const env = new Map<string, string>();
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
      const eq = kv.indexOf('=');
      if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    return env;
  } catch {
    return undefined; // gone, or not ours to read
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const m = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie waiting for a parent that does not reap it. */
function running(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function suiteArg(pid: number): string | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = argv.indexOf('--suite');
    return i >= 0 ? argv[i + 1] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Suite processes started by a launcher for `dataDir` that are no longer that launcher's
 * children: what a SIGKILLed (OOM-killed, hard-stopped) launcher leaves while its suites notice
 * and shut down (exitWithLauncher.mjs). Found through /proc: the launcher marks every child with
 * AGENT_SUITES_CHILD, AGENT_SUITES_LAUNCHER_PID and DATA_DIR. Empty where /proc does not exist.
 */
export function findLeftoverSuites(dataDir: string, self = process.pid): LeftoverSuite[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
  const want = path.resolve(dataDir);
  const out: LeftoverSuite[] = [];
  for (const pid of pids) {
    if (pid === self) continue;
    const env = readEnviron(pid);
    if (!env || env.get('AGENT_SUITES_CHILD') !== '1' || !env.has('DATA_DIR')) continue;
    if (path.resolve(env.get('DATA_DIR')!) !== want) continue;
    const launcherPid = Number(env.get('AGENT_SUITES_LAUNCHER_PID'));
    if (launcherPid === self) continue;
    // Still the child of a live launcher: that launcher's business (start refuses to share DATA_DIR).
    if (parentOf(pid) === launcherPid && pidAlive(launcherPid)) continue;
    out.push({ pid, suite: suiteArg(pid), launcherPid });
  }
  return out;
}

export interface PredecessorWait {
  found: LeftoverSuite[];
  /** Those still running after the grace period and killed with SIGKILL. */
  killed: LeftoverSuite[];
  waitedMs: number;
}

/**
 * Waits up to `graceMs` for an earlier launcher's leftover suites to finish their own graceful
 * shutdown (their data is flushed and their ports are released), then SIGKILLs any that remain,
 * so a restart right after a crash does not race them for ports and files.
 */
export async function waitForPredecessors(
  dataDir: string, graceMs: number, onFound?: (found: LeftoverSuite[]) => void,
): Promise<PredecessorWait> {
  const found = findLeftoverSuites(dataDir);
  const t0 = Date.now();
  if (!found.length) return { found, killed: [], waitedMs: 0 };
  onFound?.(found);
  while (Date.now() - t0 < graceMs && found.some((s) => running(s.pid))) await new Promise((r) => setTimeout(r, 100));
  const killed = found.filter((s) => running(s.pid));
  for (const s of killed) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch { /* exited meanwhile */ }
  }
  // A killed process releases its ports only once it is gone.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && killed.some((s) => running(s.pid))) await new Promise((r) => setTimeout(r, 50));
  return { found, killed, waitedMs: Date.now() - t0 };
}

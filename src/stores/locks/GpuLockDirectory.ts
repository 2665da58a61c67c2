import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * One holder's claim on the accelerator, written as `<dir>/<owner>.<pid>.<id>.gpulock` (JSON).
 * Several processes (ModelManagerSuite loading models, AdaptiveLearningSuite training) share one
 * folder; a claim is granted only while the sum of all live claims stays within the capacity the
 * requester sees. Nothing legacy did this (model_manager.md §2.4: "no lockfiles anywhere").
 */
export interface GpuLockInfo {
  id: string;
  owner: string;
  pid: number;
  host: string;
  vramMb: number;
  createdAt: string;
  /** Free text for humans (model id, job id). */
  purpose?: string;
}

export interface AcquireOptions {
  /** Who holds the claim, e.g. "ModelManagerSuite" or "AdaptiveLearningSuite". */
  owner: string;
  /** Memory the holder will use (MiB). */
  vramMb: number;
  /** How long to wait for room before failing with GpuBusyError (ms). 0 = try once. Default 0. */
  timeoutMs?: number;
  /**
   * Total MiB all holders together may claim. Defaults to the directory's capacity; when neither
   * is set the lock is exclusive (granted only when no one else holds a claim).
   */
  capacityMb?: number;
  purpose?: string;
  /** Poll interval while waiting (ms). Default 100. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface GpuLockHandle {
  readonly info: GpuLockInfo;
  /** Removes the claim; safe to call twice. */
  release(): void;
}

export class GpuBusyError extends Error {
  readonly code = 'GPU_BUSY';
  constructor(
    readonly requestedMb: number,
    readonly capacityMb: number | undefined,
    readonly holders: GpuLockInfo[],
  ) {
    const held = holders.reduce((s, h) => s + h.vramMb, 0);
    const who = holders.map((h) => `${h.owner} pid ${h.pid} (${h.vramMb} MiB${h.purpose ? `, ${h.purpose}` : ''})`).join('; ');
    super(
      capacityMb === undefined
        ? `busy: the GPU is held exclusively by ${who}`
        : `busy: GPU memory claimed by other processes (${held} of ${capacityMb} MiB: ${who}); ${requestedMb} MiB requested`,
    );
    this.name = 'GpuBusyError';
  }
}

const SUFFIX = '.gpulock';

/** The shared folder both suites use when not configured: `<DATA_DIR>/locks/gpu`. */
export function defaultGpuLockDir(suiteDataDir: string): string {
  return process.env.GPU_LOCK_DIR ?? join(dirname(suiteDataDir), 'locks', 'gpu');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A folder of claim files guarded by a short-lived mutex (proper-lockfile on `<dir>/.mutex`), so
 * the read-sum-write step is atomic across processes. Claims of processes that died on this host
 * are removed when anyone looks (stale-lock recovery); claims from another host are kept.
 */
export class GpuLockDirectory {
  private readonly mutexPath: string;
  private readonly held = new Map<string, GpuLockHandle>();

  constructor(
    readonly dir: string,
    private readonly defaults: { capacityMb?: number } = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.mutexPath = join(dir, '.mutex');
  }

  /** Live claims in the folder (dead local pids are removed as a side effect). */
  async holders(): Promise<GpuLockInfo[]> {
    return this.withMutex(() => this.scan());
  }

  /** Claims this process holds through this object. */
  ownClaims(): GpuLockInfo[] {
    return [...this.held.values()].map((h) => h.info);
  }

  async acquire(opts: AcquireOptions): Promise<GpuLockHandle> {
    const capacity = opts.capacityMb ?? this.defaults.capacityMb;
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    const poll = opts.pollMs ?? 100;
    for (;;) {
      opts.signal?.throwIfAborted();
      const result = await this.withMutex(() => {
        const others = this.scan();
        const used = others.reduce((s, h) => s + h.vramMb, 0);
        const fits = capacity === undefined ? others.length === 0 : used + opts.vramMb <= capacity;
        if (!fits) return { others };
        return { handle: this.write(opts) };
      });
      if (result.handle) return result.handle;
      if (Date.now() >= deadline) throw new GpuBusyError(opts.vramMb, capacity, result.others);
      await new Promise((r) => setTimeout(r, Math.min(poll, Math.max(1, deadline - Date.now()))));
    }
  }

  /** Releases every claim this object holds (shutdown). */
  releaseAll(): void {
    for (const h of [...this.held.values()]) h.release();
  }

  private write(opts: AcquireOptions): GpuLockHandle {
    const info: GpuLockInfo = {
      id: randomUUID(),
      owner: opts.owner,
      pid: process.pid,
      host: hostname(),
      vramMb: Math.max(0, Math.ceil(opts.vramMb)),
      createdAt: new Date().toISOString(),
      purpose: opts.purpose,
    };
    const safeOwner = opts.owner.replace(/[^\w-]/g, '_');
    const file = join(this.dir, `${safeOwner}.${process.pid}.${info.id}${SUFFIX}`);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(info));
    renameSync(tmp, file);
    let released = false;
    const handle: GpuLockHandle = {
      info,
      release: () => {
        if (released) return;
        released = true;
        this.held.delete(info.id);
        rmSync(file, { force: true });
      },
    };
    this.held.set(info.id, handle);
    return handle;
  }

  /** Reads every claim; drops files of dead local processes and unreadable leftovers. */
  private scan(): GpuLockInfo[] {
    const me = hostname();
    const out: GpuLockInfo[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(SUFFIX)) continue;
      const file = join(this.dir, name);
      let info: GpuLockInfo;
      try {
        info = JSON.parse(readFileSync(file, 'utf8')) as GpuLockInfo;
      } catch {
        rmSync(file, { force: true }); // half-written or corrupt: its writer never renamed it in place
        continue;
      }
      if (info.host === me && !pidAlive(info.pid)) {
        rmSync(file, { force: true });
        continue;
      }
      out.push(info);
    }
    return out;
  }

  private async withMutex<T>(fn: () => T): Promise<T> {
    const release = await lockfile.lock(this.mutexPath, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 200, minTimeout: 5, maxTimeout: 50, factor: 1.5 },
    });
    try {
      return fn();
    } finally {
      await release();
    }
  }
}

// Small helpers shared by the reliability tests (not a test file itself).
import { spawn, type ChildProcess } from 'node:child_process';
import { reqOnce } from '../helpers/suiteHarness.js';

/** One JSON request over a fresh REQ socket; rejects on timeout. */
export async function call(endpoint: string, req: Record<string, unknown>, timeoutMs = 5000): Promise<any> {
  return JSON.parse((await reqOnce(endpoint, Buffer.from(JSON.stringify(req)), timeoutMs)).toString());
}

/** Polls `cond` until it returns a truthy value; throws naming `what` after `ms`. */
export async function waitFor<T>(what: string, cond: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch {
      /* keep polling */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of `xs` (ms values); `p` in 0..100. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Milliseconds `fn` took. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * A private redis-server child on its own port, so a test can stop and restart "Redis" without
 * touching the shared instance on 6379. With `dir`, `stop({ save: true })` writes a snapshot that
 * the next start loads (cached keys survive the outage, as with a persistent production Redis).
 */
export class PrivateRedis {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(readonly port: number, private readonly dir?: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
    if (this.dir) args.push('--dir', this.dir, '--dbfilename', 'cache.rdb');
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    this.exited = new Promise((r) => child.once('exit', () => r()));
    await waitFor(`redis-server on ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
      return out.includes('Ready to accept connections');
    }, 10_000, 20);
  }

  /** Graceful stop (SIGTERM); with `save` the data set is written to `dir` first (SHUTDOWN SAVE). */
  async stop(opts: { save?: boolean } = {}): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (opts.save) {
      const { Redis } = await import('ioredis');
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
      await c.connect();
      await c.call('SHUTDOWN', 'SAVE').catch(() => undefined); // the connection drops as it exits
      c.disconnect();
    } else {
      child.kill('SIGTERM');
    }
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  /** Abrupt stop: SIGKILL, nothing saved. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }
}

import { performance } from 'node:perf_hooks';
import { Dealer } from 'zeromq';
import { LatencyHistogram } from './LatencyHistogram.js';

/**
 * The benchmarks' load generator: requests over DEALER sockets, each framed as
 * [correlation id, empty delimiter, body] so a ROUTER server treats the peer like a REQ client and
 * echoes the correlation frame back. Two modes:
 * - closed loop: N requests always in flight (a reply immediately releases the next request);
 *   measures the maximum throughput and the latency at that load;
 * - open loop: a paced sender issues requests at a fixed rate whatever the replies do (a stalled
 *   server keeps receiving requests, so its stall shows in the percentiles). Latency is counted
 *   from the moment a request is handed to its socket; how late the sender itself was against
 *   the schedule (timer granularity, a busy CPU) is reported apart as sender_lag_p99_ms.
 * The same generator drives the raw echo baseline and the suites, so their figures compare.
 */

export interface LoadTarget {
  endpoint: string;
  /** Request body for the i-th request. */
  body: (i: number) => Buffer;
  /** Reply check; a false result counts as an error (its latency is not recorded). */
  check?: (reply: Buffer) => boolean;
  /** DEALER sockets to spread the requests over (default 4). */
  sockets?: number;
  durationMs: number;
  /** Requests finished in this first stretch are not recorded (default 300 ms). */
  warmupMs?: number;
}

export interface ClosedLoopOptions extends LoadTarget {
  inFlight: number;
}

export interface OpenLoopOptions extends LoadTarget {
  ratePerSec: number;
  /** Beyond this many outstanding requests the sender skips sends and counts them dropped. */
  maxOutstanding?: number;
}

export interface LoadResult {
  mode: 'closed' | 'open';
  requests: number;
  errors: number;
  timeouts: number;
  dropped: number;
  seconds: number;
  /** Recorded (successful) replies per second over the measured window. */
  throughput: number;
  p50_ms: number;
  p99_ms: number;
  p999_ms: number;
  mean_ms: number;
  max_ms: number;
  histogram: LatencyHistogram;
  /** Every reply received, warm-up and drain included (for per-request CPU figures). */
  allReplies: number;
  /** The first reply that failed the check (trimmed), to say what the errors were. */
  errorSample?: string;
  /** Open loop: how late the paced sender issued requests against their schedule (p99). */
  sender_lag_p99_ms?: number;
}

type Frames = Array<Buffer>;

/** One DEALER socket with a send FIFO (zeromq.js allows one pending send per socket). */
class BenchDealer {
  private readonly socket = new Dealer({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
  private readonly queue: Frames[] = [];
  private draining = false;
  private closed = false;
  readonly done: Promise<void>;

  constructor(endpoint: string, onReply: (id: number, body: Buffer) => void) {
    this.socket.connect(endpoint);
    this.done = (async () => {
      try {
        for await (const frames of this.socket) {
          const f = frames as Buffer[];
          if (f.length >= 3 && f[0]!.length === 4) onReply(f[0]!.readUInt32BE(0), f[f.length - 1]!);
        }
      } catch {
        /* closed */
      }
    })();
  }

  send(id: number, body: Buffer): void {
    const corr = Buffer.allocUnsafe(4);
    corr.writeUInt32BE(id >>> 0, 0);
    this.queue.push([corr, Buffer.alloc(0), body]);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length && !this.closed) {
      try {
        await this.socket.send(this.queue.shift()!);
      } catch {
        if (this.closed) break;
      }
    }
    this.draining = false;
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.socket.close();
  }
}

interface Run {
  hist: LatencyHistogram;
  errors: number;
  recorded: number;
  measuring: boolean;
  pending: Map<number, number>;
  allReplies: number;
  errorSample?: string;
}

function summary(mode: 'closed' | 'open', run: Run, seconds: number, timeouts: number, dropped: number): LoadResult {
  const h = run.hist;
  return {
    mode,
    requests: run.recorded + run.errors,
    errors: run.errors,
    timeouts,
    dropped,
    seconds,
    throughput: run.recorded / seconds,
    p50_ms: h.percentile(50),
    p99_ms: h.percentile(99),
    p999_ms: h.percentile(99.9),
    mean_ms: h.mean(),
    max_ms: h.max(),
    histogram: h,
    allReplies: run.allReplies,
    ...(run.errorSample !== undefined ? { errorSample: run.errorSample } : {}),
  };
}

function openSockets(t: LoadTarget, run: Run, onDone: (socket: number, id: number) => void): BenchDealer[] {
  const n = Math.max(1, t.sockets ?? 4);
  const sockets: BenchDealer[] = [];
  for (let s = 0; s < n; s++) {
    sockets.push(
      new BenchDealer(t.endpoint, (id, body) => {
        const started = run.pending.get(id);
        if (started === undefined) return;
        run.pending.delete(id);
        run.allReplies++;
        if (run.measuring) {
          if (t.check && !t.check(body)) {
            run.errors++;
            run.errorSample ??= body.toString('utf8', 0, Math.min(body.length, 200));
          }
          else {
            run.hist.record(performance.now() - started);
            run.recorded++;
          }
        }
        onDone(s, id);
      }),
    );
  }
  return sockets;
}

async function settle(run: Run, sockets: BenchDealer[], graceMs = 3000): Promise<number> {
  const until = performance.now() + graceMs;
  while (run.pending.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  const timeouts = run.pending.size;
  for (const s of sockets) s.close();
  await Promise.all(sockets.map((s) => s.done));
  return timeouts;
}

/** Keeps `inFlight` requests outstanding for the duration; returns throughput and latency. */
export async function closedLoop(o: ClosedLoopOptions): Promise<LoadResult> {
  const run: Run = { hist: new LatencyHistogram(), errors: 0, recorded: 0, measuring: false, pending: new Map(), allReplies: 0 };
  let next = 0;
  let issuing = true;
  const issue = (socket: number) => {
    const id = next++;
    run.pending.set(id >>> 0, performance.now());
    sockets[socket]!.send(id, o.body(id));
  };
  const sockets = openSockets(o, run, (s) => {
    if (issuing) issue(s);
  });
  const warmup = o.warmupMs ?? 300;
  // Count warm-up replies too, but drop them at the switch.
  run.measuring = true;
  for (let i = 0; i < o.inFlight; i++) issue(i % sockets.length);
  await new Promise((r) => setTimeout(r, warmup));
  run.hist.reset();
  run.errors = 0;
  run.recorded = 0;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, o.durationMs));
  const seconds = (performance.now() - t0) / 1000;
  issuing = false;
  const result = summary('closed', run, seconds, 0, 0);
  run.measuring = false;
  result.timeouts = await settle(run, sockets);
  result.allReplies = run.allReplies;
  return result;
}

/** Sends at `ratePerSec` for the duration (paced on a 1 ms timer, catching up in bursts). */
export async function openLoop(o: OpenLoopOptions): Promise<LoadResult> {
  const run: Run = { hist: new LatencyHistogram(), errors: 0, recorded: 0, measuring: true, pending: new Map(), allReplies: 0 };
  const lag = new LatencyHistogram();
  const sockets = openSockets(o, run, () => {});
  const maxOutstanding = o.maxOutstanding ?? 20_000;
  const warmup = o.warmupMs ?? 300;
  const intervalMs = 1000 / o.ratePerSec;
  let sent = 0;
  let dropped = 0;
  const start = performance.now();
  const measureFrom = start + warmup;
  const end = measureFrom + o.durationMs;
  let measuredStart = Number.NaN;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= measureFrom && Number.isNaN(measuredStart)) {
        run.hist.reset();
        run.errors = 0;
        run.recorded = 0;
        dropped = 0;
        lag.reset();
        measuredStart = now;
      }
      const stopAt = Math.min(now, end);
      while (start + sent * intervalMs <= stopAt) {
        const due = start + sent * intervalMs;
        const id = sent++;
        if (run.pending.size >= maxOutstanding) {
          dropped++;
          continue;
        }
        const now2 = performance.now();
        lag.record(now2 - due);
        run.pending.set(id >>> 0, now2);
        sockets[id % sockets.length]!.send(id, o.body(id));
      }
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  // Let the requests sent in the window finish, then report.
  const timeouts = await settle(run, sockets);
  const seconds = (end - (Number.isNaN(measuredStart) ? start : measuredStart)) / 1000;
  return { ...summary('open', run, seconds, timeouts, dropped), allReplies: run.allReplies, sender_lag_p99_ms: lag.percentile(99) };
}

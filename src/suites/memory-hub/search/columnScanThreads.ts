// Runs ColumnIndex's scan on two threads: the caller and one helper share the index's (shared)
// WebAssembly memory and take blocks of vectors one at a time until none are left.
//
// Protocol, over a small shared control block:
//   - the caller writes the scan's arguments, zeroes Finished, then publishes the job in the
//     claim word (job number << 32 | next block = 0) and wakes the helper;
//   - each thread claims a block by compare-and-swap on the claim word, which only succeeds while
//     the word still names the job the thread read the arguments for; so a helper that wakes late,
//     after its job is done and the next one posted, can never scan a block with stale arguments;
//   - each scanned block adds one to Finished; the caller returns when Finished reaches the count.
// The caller starts at once and the helper joins when it wakes (tens of microseconds), so a
// helper that is slow to wake, or busy elsewhere, only takes fewer blocks.
import type { Worker } from 'node:worker_threads';
import { entryModuleUrl, startModuleWorker } from '../../../runtime/sourceLayout.js';
import type { ColScore } from './columnScanKernel.js';

/** Int32 slots of the control block (the claim word is a BigInt64 at byte 0, slots 0–1). */
export const enum Ctl {
  Quads = 2,
  Blocks,
  Codes,
  Sums,
  Maxima,
  Finished,
  Stop,
  /** Blocks the helper has scanned, ever (the tests check it took part). */
  HelperBlocks,
  Size,
}

/** Scans with fewer blocks than this stay on the calling thread (waking a helper is not free). */
export const HELPER_MIN_BLOCKS = 8;
/** A helper that has not finished its claimed block after this long is taken for dead. */
const STALL_MS = 2000;
const WORKER = 'src/suites/memory-hub/search/columnScanWorker';

/** Claims and scans blocks of the job in `claim` until none are left; returns the job's number and the blocks scanned. */
export function scanClaimedBlocks(ctl: Int32Array, claim: BigInt64Array, kernel: ColScore): { job: bigint; scanned: number } {
  let word = Atomics.load(claim, 0);
  const job = word >> 32n;
  const quads = ctl[Ctl.Quads]!, blocks = ctl[Ctl.Blocks]!, codes = ctl[Ctl.Codes]!, sums = ctl[Ctl.Sums]!, maxima = ctl[Ctl.Maxima]!;
  let scanned = 0;
  for (;;) {
    if (word >> 32n !== job) return { job, scanned };
    const block = Number(word & 0xffffffffn);
    if (block >= blocks) return { job, scanned };
    const seen = Atomics.compareExchange(claim, 0, word, word + 1n);
    if (seen !== word) {
      word = seen;
      continue;
    }
    kernel(0, quads, codes, block, block + 1, sums, maxima);
    scanned++;
    Atomics.add(ctl, Ctl.Finished, 1);
    word = Atomics.load(claim, 0);
  }
}

export interface ScanArgs {
  quads: number;
  blocks: number;
  codes: number;
  sums: number;
  maxima: number;
}

/** The calling thread's side: posts scans, scans with the helper, waits for its last block. */
export class ColumnScanThreads {
  private readonly shared = new SharedArrayBuffer(Ctl.Size * 4);
  private readonly ctl = new Int32Array(this.shared);
  private readonly claim = new BigInt64Array(this.shared, 0, 1);
  private readonly worker: Worker;
  private job = 0n;
  private ready = false;
  private failed = false;
  private closed = false;
  private readonly fail: (err: Error) => void;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, private readonly kernel: ColScore, onFailure: (err: Error) => void) {
    // The claim word starts as "job 0, nothing left", so the helper's first wait is on job 0.
    Atomics.store(this.claim, 0, 0xffffffffn);
    this.worker = startModuleWorker(entryModuleUrl(WORKER), { workerData: { module, memory, shared: this.shared } });
    this.worker.unref();
    this.worker.once('message', () => (this.ready = true));
    this.fail = (err: Error) => {
      if (this.failed || this.closed) return;
      this.failed = true;
      onFailure(err);
    };
    this.worker.once('error', this.fail);
    this.worker.once('exit', (code) => this.fail(new Error(`column scan helper exited (code ${code})`)));
  }

  /** Blocks the helper thread has scanned so far. */
  get helperBlocks(): number {
    return Atomics.load(this.ctl, Ctl.HelperBlocks);
  }

  /** Whether scans use the helper (it is running and has not failed). */
  get active(): boolean {
    return this.ready && !this.failed && !this.closed;
  }

  /** Scores blocks [0, blocks) with the kernel (see columnScanKernel.ts), on both threads when it pays. */
  scan(a: ScanArgs): void {
    if (!this.active || a.blocks < HELPER_MIN_BLOCKS) {
      this.kernel(0, a.quads, a.codes, 0, a.blocks, a.sums, a.maxima);
      return;
    }
    const ctl = this.ctl;
    ctl[Ctl.Quads] = a.quads;
    ctl[Ctl.Blocks] = a.blocks;
    ctl[Ctl.Codes] = a.codes;
    ctl[Ctl.Sums] = a.sums;
    ctl[Ctl.Maxima] = a.maxima;
    Atomics.store(ctl, Ctl.Finished, 0);
    this.job++;
    Atomics.store(this.claim, 0, this.job << 32n);
    Atomics.notify(this.claim, 0);
    scanClaimedBlocks(ctl, this.claim, this.kernel);
    if (!this.waitFinished(a.blocks)) {
      // The helper holds a block it never finished: stop using it and scan everything here.
      this.fail(new Error(`column scan helper stalled (no block finished in ${STALL_MS} ms)`));
      this.close();
      this.kernel(0, a.quads, a.codes, 0, a.blocks, a.sums, a.maxima);
    }
  }

  /** Waits (polling: the helper's last block ends within microseconds of ours) until every block is scanned. */
  private waitFinished(blocks: number): boolean {
    const until = performance.now() + STALL_MS;
    while (Atomics.load(this.ctl, Ctl.Finished) < blocks) {
      if (performance.now() > until) return false;
    }
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, Ctl.Stop, 1);
    this.job++;
    Atomics.store(this.claim, 0, (this.job << 32n) | 0xffffffffn);
    Atomics.notify(this.claim, 0);
    void this.worker.terminate();
  }
}

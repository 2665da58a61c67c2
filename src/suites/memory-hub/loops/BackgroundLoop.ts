import type { Logger } from '../../../runtime/logger.js';

export interface LoopStatus {
  interval_s: number;
  runs: number;
  last_run: string | null;
  last_duration_ms: number | null;
  last_error: string | null;
  last_result: unknown;
}

/**
 * Runs `task` every `intervalMs` on an unref'd timer chain (never overlapping itself, never
 * holding the process open). The first run is one interval after start(), as in legacy.
 * stop() cancels the timer, aborts the running pass and waits for it.
 */
export class BackgroundLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private abort = new AbortController();
  private stopped = true;
  private readonly status: LoopStatus;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly task: (signal: AbortSignal) => Promise<unknown> | unknown,
    private readonly log: Logger,
    /** Told about the first failed pass of each failure streak (the suite sends it to the error bus). */
    private readonly onError?: (err: Error) => void,
  ) {
    this.status = { interval_s: intervalMs / 1000, runs: 0, last_run: null, last_duration_ms: null, last_error: null, last_result: null };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.runNow().finally(() => this.schedule()), this.intervalMs);
    this.timer.unref();
  }

  /** Runs one pass now (or joins the one in progress). */
  runNow(): Promise<void> {
    if (this.running) return this.running;
    const started = Date.now();
    this.running = (async () => {
      try {
        this.status.last_result = (await this.task(this.abort.signal)) ?? null;
        this.status.last_error = null;
      } catch (err) {
        const streak = this.status.last_error !== null;
        this.status.last_error = (err as Error).message;
        this.log.warn({ loop: this.name, err: this.status.last_error }, 'background loop pass failed');
        // Only the first failure of a streak goes out, so a dead provider does not flood the bus.
        if (!streak && !this.abort.signal.aborted) this.onError?.(err as Error);
      } finally {
        this.status.runs++;
        this.status.last_run = new Date().toISOString();
        this.status.last_duration_ms = Date.now() - started;
        this.running = undefined;
      }
    })();
    return this.running;
  }

  health(): LoopStatus {
    return { ...this.status };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }
}

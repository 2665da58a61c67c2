import type { Reply, RequestContext } from './Agent.js';
import type { Logger } from './logger.js';

/** What a HandlerContext needs from the pipeline that runs it. */
export interface AbortOwner {
  /** Controllers of running handlers, aborted together at shutdown. */
  readonly signals: Set<AbortController>;
  /** Set once shutdown began: a signal made after that starts out aborted. */
  readonly shutdownReason?: unknown;
}

/**
 * The `ctx` a handler receives. A class on purpose: an object literal with a `get signal()`
 * accessor allocates its accessor pair in V8's old space on every request, and that old object
 * kept each request's whole closure scope alive through the next young-generation GC, so every
 * request's garbage was promoted (MBs per scavenge, multi-ms pauses). The prototype getter here
 * is shared by all requests.
 *
 * The AbortController is made only when a handler reads `signal`: most never do, and one per
 * request was the largest single cost of a cheap request (profiled).
 */
export class HandlerContext implements RequestContext {
  private controller?: AbortController;
  private abortedWith?: unknown;

  constructor(
    private readonly owner: AbortOwner,
    readonly suite: string,
    readonly agent: string,
    readonly action: string,
    readonly requestId: string | undefined,
    readonly raw: Record<string, unknown>,
    readonly log: Logger,
    readonly stream: ((chunk: Reply) => Promise<void>) | undefined,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      const reason = this.abortedWith ?? this.owner.shutdownReason;
      if (reason !== undefined) this.controller.abort(reason);
      else this.owner.signals.add(this.controller);
    }
    return this.controller.signal;
  }

  /** Cuts the handler short (timeout): its signal, now or when first read, is aborted. */
  abort(reason: unknown): void {
    this.abortedWith = reason;
    this.controller?.abort(reason);
  }

  /** The request is over: its controller no longer needs aborting at shutdown. */
  release(): void {
    if (this.controller) this.owner.signals.delete(this.controller);
  }
}

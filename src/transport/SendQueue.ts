import type { Socket } from 'zeromq';

type Frames = Array<Buffer | string>;

/**
 * zeromq.js allows one pending send per socket and answers a second with EBUSY, so every
 * outgoing message of a socket goes through one FIFO drained by a single loop.
 * A send that fails (peer gone, socket closing) is dropped and reported, never retried: a ROUTER
 * reply to a vanished peer has nowhere to go.
 */
export class SendQueue {
  private readonly queue: Frames[] = [];
  private draining = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly socket: Socket & { send(msg: Frames): Promise<void> },
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  get length(): number {
    return this.queue.length;
  }

  send(frames: Frames): void {
    if (this.closed) return;
    this.queue.push(frames);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frames = this.queue.shift()!;
        try {
          await this.socket.send(frames);
        } catch (err) {
          if (!this.closed) this.onError(err);
        }
      }
    } finally {
      this.draining = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once everything queued so far has been handed to the socket. */
  async flush(): Promise<void> {
    if (!this.draining && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }
}

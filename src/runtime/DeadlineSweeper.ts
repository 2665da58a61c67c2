interface Entry {
  deadline: number;
  expire: () => void;
  prev?: Entry;
  next?: Entry;
  live: boolean;
}

/**
 * Per-request timeouts without a timer per request: deadlines sit in a doubly linked list that one
 * interval walks every `resolutionMs`. Creating and clearing a Node timer (or hashing into a Set)
 * for each request costs more than routing it; a timeout that fires up to `resolutionMs` late is
 * fine for limits measured in seconds. Adding and cancelling are O(1).
 */
export class DeadlineSweeper {
  private head?: Entry;
  private tail?: Entry;
  private count = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly resolutionMs = 25) {}

  /** Calls `expire` once `ms` have passed unless the returned cancel function runs first. */
  add(ms: number, expire: () => void): () => void {
    const entry: Entry = { deadline: Date.now() + ms, expire, prev: this.tail, live: true };
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.count++;
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.resolutionMs);
      this.timer.unref();
    }
    return () => this.remove(entry);
  }

  private remove(e: Entry): void {
    if (!e.live) return;
    e.live = false;
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
    this.count--;
  }

  private sweep(): void {
    const now = Date.now();
    // Deadlines are not sorted (timeouts differ per action), so every entry is checked.
    for (let e = this.head; e; ) {
      const next = e.next;
      if (e.deadline <= now) {
        this.remove(e);
        try {
          e.expire();
        } catch {
          /* expiry callbacks only reject promises */
        }
      }
      e = next;
    }
    if (this.count === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  get size(): number {
    return this.count;
  }
}

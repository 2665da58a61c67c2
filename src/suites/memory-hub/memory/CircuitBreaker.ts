export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** The message MemoryClient users saw while the breaker was open (memory_hub.md §2.1). */
export const BREAKER_OPEN_MESSAGE = 'Circuit breaker is open due to previous failures. Try again later.';

export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  constructor() {
    super(BREAKER_OPEN_MESSAGE);
  }
}

/**
 * MemoryClient's circuit breaker (threshold 3 failures, 60 s reset), here guarding the hub's
 * memory-store operations: after `failureThreshold` consecutive storage failures the store
 * answers at once with the breaker error until `resetTimeoutS` has passed; then one trial call is
 * let through (HALF_OPEN) and its outcome closes or re-opens the breaker.
 */
export class CircuitBreaker {
  state: BreakerState = 'CLOSED';
  failureCount = 0;
  lastFailureTime: number | null = null;

  constructor(
    readonly failureThreshold = 3,
    readonly resetTimeoutS = 60,
  ) {}

  run<T>(fn: () => T, isFailure: (err: unknown) => boolean): T {
    if (this.state === 'OPEN') {
      if (this.lastFailureTime !== null && Date.now() / 1000 - this.lastFailureTime >= this.resetTimeoutS) this.state = 'HALF_OPEN';
      else throw new BreakerOpenError();
    }
    try {
      const out = fn();
      this.onSuccess();
      return out;
    } catch (err) {
      if (isFailure(err)) this.onFailure();
      else this.onSuccess();
      throw err;
    }
  }

  async runAsync<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean): Promise<T> {
    let pending!: Promise<T>;
    this.run(() => {
      pending = fn();
    }, () => false);
    try {
      const out = await pending;
      this.onSuccess();
      return out;
    } catch (err) {
      if (isFailure(err)) this.onFailure();
      throw err;
    }
  }

  private onSuccess(): void {
    if (this.state === 'HALF_OPEN') this.state = 'CLOSED';
    this.failureCount = 0;
  }

  private onFailure(): void {
    this.failureCount++;
    this.lastFailureTime = Date.now() / 1000;
    if (this.state === 'HALF_OPEN' || this.failureCount >= this.failureThreshold) this.state = 'OPEN';
  }

  /** reset_circuit_breaker: CLOSED, count 0; last_failure_time is left as it was (legacy). */
  reset(): void {
    this.state = 'CLOSED';
    this.failureCount = 0;
  }

  snapshot(): Record<string, unknown> {
    return {
      state: this.state,
      failure_count: this.failureCount,
      last_failure_time: this.lastFailureTime,
      failure_threshold: this.failureThreshold,
      reset_timeout: this.resetTimeoutS,
    };
  }
}

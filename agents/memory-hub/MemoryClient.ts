import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import * as C from '../../contracts/memory-hub/MemoryClient.js';
import type { MemoryCore } from '../../src/suites/memory-hub/MemoryCore.js';

/**
 * MemoryClient's remote surface (memory_hub.md §2.1): its health with the circuit breaker, and a
 * breaker reset. In the hub the "orchestrator connection" is the in-process memory store, so
 * `connected` reports whether the SQLite store answers.
 */
export class MemoryClient extends Agent {
  readonly name = 'MemoryClient';
  override readonly legacyPort = 5713;
  override readonly legacyHealthPort = 6713;

  /** memory_hub.md §2.1 as deployed: the default object plus service and whole-second uptime. */
  override legacyHealth(base: Record<string, unknown>): Record<string, unknown> {
    return { ...base, service: this.name, uptime_seconds: Math.floor(Number(base.uptime) || 0) };
  }

  constructor(private readonly core: MemoryCore) {
    super();
  }

  override actions(): Record<string, ActionDefinition> {
    return {
      health_check: defineAction({
        params: C.healthCheck,
        description: 'Connection state and circuit breaker',
        handler: () => ({
          status: 'success',
          agent: this.name,
          connected: this.core.dbConnected(),
          circuit_breaker: this.core.breaker.snapshot(),
        }),
      }),
      reset_circuit_breaker: defineAction({
        params: C.resetCircuitBreaker,
        description: 'Close the breaker and clear its failure count',
        handler: () => {
          this.core.breaker.reset();
          return { status: 'success', message: 'Circuit breaker reset successfully', new_state: 'CLOSED' };
        },
      }),
    };
  }

  /** The intended contract's catch-all: MemoryClient is a client library, not a service. */
  override unknownAction(): Record<string, unknown> {
    return { message: 'This client does not accept remote commands' };
  }

  override health(): Record<string, unknown> {
    return { circuit_breaker: this.core.breaker.snapshot() };
  }
}

import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import * as C from '../../contracts/memory-hub/ExperienceTracker.js';
import type { MemoryCore } from '../../src/suites/memory-hub/MemoryCore.js';
import { MemoryInputError } from '../../src/suites/memory-hub/memory/MemoryStore.js';
import { isPlainObject, toInt } from '../../src/suites/memory-hub/legacyParams.js';
import { BreakerOpenError } from '../../src/suites/memory-hub/memory/CircuitBreaker.js';

/**
 * ExperienceTracker (memory_hub.md §2.8): experiences are memories of type "experience" in the
 * hub's store, answered in the MemoryManager shape its callers were written against
 * (`memory_id`/`message`; `memories`/`count`) instead of being forwarded to a peer that never
 * implemented them.
 */
export class ExperienceTracker extends Agent {
  readonly name = 'ExperienceTracker';
  override readonly legacyPort = 7112;
  override readonly legacyHealthPort = 7113;

  constructor(private readonly core: MemoryCore) {
    super();
  }

  /** memory_hub.md §2.8: the same object on the health socket and for health_check. */
  private trackerHealth(): Record<string, unknown> {
    const ok = this.core.dbConnected();
    return {
      status: ok ? 'ok' : 'error',
      service: this.name,
      initialization_status: 'complete',
      port: this.legacyPort,
      health_port: this.legacyHealthPort,
      timestamp: new Date().toISOString(),
      ...(ok ? {} : { initialization_error: 'memory store is not answering' }),
    };
  }

  override legacyHealth(): Record<string, unknown> {
    return this.trackerHealth();
  }

  override actions(): Record<string, ActionDefinition> {
    const core = this.core;
    return {
      track_experience: defineAction({
        params: C.trackExperience,
        description: 'Store an experience (sanitised fields, legacy defaults)',
        handler: (p) => {
          const content = typeof p.content === 'string' ? p.content : '';
          const importance = typeof p.importance_score === 'number' && Number.isFinite(p.importance_score) ? p.importance_score : 0.5;
          const metadata = isPlainObject(p.metadata) ? p.metadata : {};
          const expiresAt = typeof p.expires_at === 'string' ? p.expires_at : null;
          try {
            const memoryId = core.guard(() => core.experiences.track({ content, importance, metadata, expiresAt }));
            return { status: 'success', memory_id: memoryId, message: 'Memory stored successfully' };
          } catch (err) {
            if (err instanceof MemoryInputError) return errorReply(`Invalid experience: ${err.message}`);
            if (err instanceof BreakerOpenError) return errorReply(err.message);
            core.errors.report({ error_type: 'track_experience_error', message: (err as Error).message, agent: this.name });
            return errorReply(`Failed to store experience: ${(err as Error).message}`);
          }
        },
      }),
      get_experiences: defineAction({
        params: C.getExperiences,
        description: 'Most important live experiences first; counts each access',
        handler: (p) => {
          const n = toInt(p.limit);
          const limit = n !== undefined && n > 0 ? Math.min(n, 1000) : 10;
          try {
            const memories = core.guard(() => core.experiences.list(limit));
            return { status: 'success', memories, count: memories.length };
          } catch (err) {
            if (err instanceof BreakerOpenError) return errorReply(err.message);
            core.errors.report({ error_type: 'get_experiences_error', message: (err as Error).message, agent: this.name });
            return errorReply(`Failed to retrieve experiences: ${(err as Error).message}`);
          }
        },
      }),
      health_check: defineAction({
        params: C.healthCheck,
        description: "The tracker's legacy health object (service, ports, initialisation)",
        handler: () => this.trackerHealth(),
      }),
    };
  }
}

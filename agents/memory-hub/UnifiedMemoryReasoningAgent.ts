import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import { UmraContract as C } from '../../contracts/memory-hub/UnifiedMemoryReasoningAgent.js';
import { isExpected, truthy } from '../../src/suites/memory-hub/conversation/replies.js';
import type { ConversationServices } from '../../src/suites/memory-hub/conversation/services.js';
import { localIso } from '../../src/suites/memory-hub/conversation/util.js';

/** UMRA's failure shape: detail under `reason` (legacy), mirrored in `message`/`error`. */
const fail = (reason: string): Record<string, unknown> => errorReply(reason, { reason });

/**
 * UnifiedMemoryReasoningAgent (legacy 7105), memory_hub.md §2.5: digital twins, per-session
 * interaction summaries, error patterns. Success status is "ok".
 */
export class UnifiedMemoryReasoningAgent extends Agent {
  readonly name = 'UnifiedMemoryReasoningAgent';
  override readonly legacyPort = 7105;
  override readonly legacyHealthPort = 7106;

  /** The same object as its health_check (memory_hub.md §2.5). */
  override legacyHealth(): Record<string, unknown> {
    return this.healthObject();
  }
  private readonly counters = {
    request_count: 0,
    error_count: 0,
    last_request_time: null as number | null,
    health_check_count: 0,
    update_count: 0,
    get_count: 0,
    delete_count: 0,
    successful_updates: 0,
    failed_updates: 0,
  };

  constructor(private readonly s: ConversationServices) {
    super();
  }

  /** Counts the request and turns unexpected failures into UMRA's `reason` reply (error_count+1). */
  private async run(body: () => unknown): Promise<unknown> {
    this.counters.request_count++;
    this.counters.last_request_time = Date.now() / 1000;
    try {
      return await body();
    } catch (err) {
      if (isExpected(err)) return fail(err.message);
      this.counters.error_count++;
      return fail((err as Error).message);
    }
  }

  private healthObject(): Record<string, unknown> {
    const { umra, errorPatterns, startedAt } = this.s;
    return {
      status: 'ok',
      ready: true,
      initialized: true,
      message: `${this.name} is healthy`,
      timestamp: localIso(),
      uptime: (Date.now() - startedAt) / 1000,
      active_threads: 1,
      service: 'unified_memory_reasoning_agent',
      ...this.counters,
      ...umra.totals(),
      total_error_patterns: errorPatterns.count(),
    };
  }

  actions(): Record<string, ActionDefinition> {
    const { umra, errorPatterns } = this.s;
    const health = defineAction({ params: C.health, description: 'UMRA health object (does not count as a request).', handler: () => this.healthObject() });
    return {
      health_check: health,
      health,
      ping: health,
      update_twin: defineAction({
        params: C.update_twin,
        description: "Replace a user's digital twin.",
        handler: (p) =>
          this.run(() => {
            this.counters.update_count++;
            if (!truthy(p.twin_data)) {
              this.counters.failed_updates++;
              return fail('No twin data provided');
            }
            umra.updateTwin(p.user_id || 'default', p.twin_data!);
            this.counters.successful_updates++;
            return { status: 'ok' };
          }),
      }),
      get_twin: defineAction({
        params: C.get_twin,
        description: "A user's digital twin ({} when none).",
        handler: (p) =>
          this.run(() => {
            this.counters.get_count++;
            return { status: 'ok', twin: umra.getTwin(p.user_id || 'default') };
          }),
      }),
      delete_twin: defineAction({
        params: C.delete_twin,
        description: "Delete a user's digital twin.",
        handler: (p) =>
          this.run(() => {
            this.counters.delete_count++;
            return umra.deleteTwin(p.user_id || 'default') ? { status: 'ok' } : fail('User not found');
          }),
      }),
      add_interaction: defineAction({
        params: C.add_interaction,
        description: 'Record an interaction (code, user_query, system_response, error, …) and refresh the session summary.',
        handler: (p) =>
          this.run(() => {
            // Older ContextualMemoryAgent clients: {user_id, project?, type, content}; their session id
            // convention was <user_id>_<project> or <user_id>_<YYYY-MM-DD> (memory_hub.md §2.5.5).
            const sessionId = p.session_id || (p.user_id ? `${p.user_id}_${p.project || localIso().slice(0, 10)}` : undefined);
            const type = p.interaction_type || p.type || undefined;
            if (!truthy(sessionId) || !truthy(type) || !truthy(p.content)) return fail('Missing required fields');
            umra.addInteraction(sessionId!, type!, p.content!, p.metadata ?? undefined);
            return { status: 'ok' };
          }),
      }),
      get_context: defineAction({
        params: C.get_context,
        description: 'The session summary object (max_tokens accepted, not applied, as legacy).',
        handler: (p) =>
          this.run(() => {
            if (!truthy(p.session_id)) return fail('Missing session_id');
            return { status: 'ok', context: umra.getContext(p.session_id!) };
          }),
      }),
      add_error_pattern: defineAction({
        params: C.add_error_pattern,
        description: 'Store (or replace) an error pattern (Python regex syntax) and its solution.',
        handler: (p) =>
          this.run(() => {
            if (!truthy(p.error_type) || !truthy(p.pattern)) return fail('Missing required fields');
            errorPatterns.add(p.error_type!, p.pattern!, p.solution ?? null);
            return { status: 'ok' };
          }),
      }),
      get_error_solution: defineAction({
        params: C.get_error_solution,
        description: 'Solution of the first stored pattern that matches the message (null when none).',
        handler: (p) =>
          this.run(() => {
            if (!truthy(p.error_message)) return fail('Missing error_message');
            return { status: 'ok', solution: errorPatterns.solve(p.error_message!).solution };
          }),
      }),
      // Old ContextualMemoryAgent clients send get_summary; UMRA never had it and answered its
      // generic unknown-action reply, which those clients handle (vector: get_summary).
      get_summary: defineAction({
        params: C.get_summary,
        description: "Not a UMRA action; answers UMRA's legacy unknown-action reply.",
        handler: () => this.run(() => fail('Unknown action')),
      }),
    };
  }

  override health(): Record<string, unknown> {
    return { ...this.counters, ...this.s.umra.totals(), total_error_patterns: this.s.errorPatterns.count() };
  }
}

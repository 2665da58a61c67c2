import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { SuiteError } from '../../src/runtime/errors.js';
import { MemoryHubSessionsContract as C, MemoryHubSessionsReplies as R } from '../../contracts/memory-hub/MemoryHubSessions.js';
import { NotFoundError } from '../../src/suites/memory-hub/conversation/errors.js';
import { guarded } from '../../src/suites/memory-hub/conversation/replies.js';
import type { ConversationServices } from '../../src/suites/memory-hub/conversation/services.js';

/** Unknown ids answer with the catalogued NOT_FOUND error; other refusals with their message. */
async function api(body: () => unknown): Promise<unknown> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof NotFoundError) throw new SuiteError('NOT_FOUND', { what: err.what, id: err.id });
    return guarded('Request failed', () => {
      throw err;
    });
  }
}

/**
 * Namespaced session/context API for new clients (`session.*`, `context.*`), on the same services
 * as the legacy SessionMemoryAgent and ContextManager actions.
 */
export class MemorySessionsApi extends Agent {
  readonly name = 'MemoryHubSessions';

  constructor(private readonly s: ConversationServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const { sessions, sessionContext } = this.s;
    return {
      'session.create': defineAction({
        params: C['session.create'],
        reply: R['session.create'],
        description: 'Create a session (ttl_s overrides the default idle TTL; bridge_from = a session id or "latest").',
        handler: (p) =>
          api(() => {
            const session = sessions.create({ userId: p.user_id, sessionType: p.session_type, metadata: p.metadata, ttlS: p.ttl_s, bridgeFrom: p.bridge_from });
            return { status: 'success', session_id: session.session_id, session };
          }),
      }),
      'session.get': defineAction({
        params: C['session.get'],
        reply: R['session.get'],
        handler: (p) => api(() => ({ status: 'success', session: sessions.require(p.session_id) })),
      }),
      'session.touch': defineAction({
        params: C['session.touch'],
        reply: R['session.touch'],
        description: 'Extend an active session by its TTL from now.',
        handler: (p) => api(() => ({ status: 'success', session: sessions.touch(p.session_id) })),
      }),
      'session.end': defineAction({
        params: C['session.end'],
        reply: R['session.end'],
        handler: (p) => api(() => ({ status: 'success', session: sessions.end(p.session_id) })),
      }),
      'session.list': defineAction({
        params: C['session.list'],
        reply: R['session.list'],
        handler: (p) =>
          api(() => {
            const { sessions: list, total } = sessions.list({ userId: p.user_id, status: p.status, limit: p.limit, offset: p.offset });
            return { status: 'success', sessions: list, count: list.length, total };
          }),
      }),
      'context.get': defineAction({
        params: C['context.get'],
        reply: R['context.get'],
        description: 'The most important window items within a token budget (reading order), plus bridged context.',
        handler: (p) =>
          api(() => ({
            status: 'success',
            ...sessionContext.view(p.session_id, { budget: p.max_tokens, maxItems: p.max_items, includeBridged: p.include_bridged }),
          })),
      }),
      'context.add': defineAction({
        params: C['context.add'],
        reply: R['context.add'],
        handler: (p) =>
          api(() => ({ status: 'success', item: sessionContext.add(p.session_id, p.text, p.speaker ?? null, p.metadata, p.importance) })),
      }),
      'context.prune': defineAction({
        params: C['context.prune'],
        reply: R['context.prune'],
        description: 'Drop low-importance items when the window is full, then enforce the token budget.',
        handler: (p) => api(() => ({ status: 'success', ...sessionContext.prune(p.session_id, p.max_tokens) })),
      }),
    };
  }
}

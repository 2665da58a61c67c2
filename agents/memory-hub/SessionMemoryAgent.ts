import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import { SessionMemoryContract as C } from '../../contracts/memory-hub/SessionMemoryAgent.js';
import { guarded, searchInteractionsReply, truthy } from '../../src/suites/memory-hub/conversation/replies.js';
import type { ConversationServices } from '../../src/suites/memory-hub/conversation/services.js';
import { localIso } from '../../src/suites/memory-hub/conversation/util.js';

/**
 * SessionMemoryAgent (legacy 5574), intended process_request contract (memory_hub.md §2.2).
 * Sessions and interactions live in the hub's session store instead of orchestrator memories;
 * the replies keep the legacy shapes (`success` / `message`).
 */
export class SessionMemoryAgent extends Agent {
  readonly name = 'SessionMemoryAgent';
  override readonly legacyPort = 5574;
  override readonly legacyHealthPort = 6583;

  constructor(private readonly s: ConversationServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const { sessions, mainPc } = this.s;
    return {
      create_session: defineAction({
        params: C.create_session,
        description: 'Create a conversation session; returns session_id.',
        handler: (p) =>
          guarded('Exception creating session', () => {
            const rec = sessions.create({
              userId: p.user_id || 'default',
              sessionType: p.session_type || 'conversation',
              metadata: { ...(p.metadata ?? {}), created_at: localIso(), agent: this.name },
            });
            return { status: 'success', session_id: rec.session_id };
          }),
      }),
      add_interaction: defineAction({
        params: C.add_interaction,
        description: 'Add one {role, content} turn to an active session.',
        handler: (p) =>
          guarded('Exception adding interaction', async () => {
            if (!truthy(p.session_id) || !truthy(p.role) || !truthy(p.content)) return errorReply('Missing required parameters');
            const meta = { ...(p.metadata ?? {}), role: p.role!, timestamp: localIso() };
            const rec = await sessions.addInteraction(p.session_id!, p.role!, p.content!, meta);
            return { status: 'success', message: 'Interaction added', interaction_id: rec.interaction_id };
          }),
      }),
      get_context: defineAction({
        params: C.get_context,
        description: 'The newest `limit` turns of a session, oldest first, as {role, content}.',
        handler: (p) =>
          guarded('Exception getting context', () => {
            if (!truthy(p.session_id)) return errorReply('Missing session_id');
            sessions.require(p.session_id!);
            const context = sessions
              .interactions(p.session_id!, p.limit || 20)
              .map((i) => ({ role: typeof i.metadata.role === 'string' ? i.metadata.role : i.role || 'unknown', content: i.content ?? '' }));
            return { status: 'success', context };
          }),
      }),
      delete_session: defineAction({
        params: C.delete_session,
        description: 'Delete a session with all its interactions.',
        handler: (p) =>
          guarded('Exception deleting session', () => {
            if (!truthy(p.session_id)) return errorReply('Missing session_id');
            if (!sessions.delete(p.session_id!)) return errorReply(`Session not found: ${p.session_id}`);
            return { status: 'success', message: 'Session deleted' };
          }),
      }),
      search_interactions: defineAction({
        params: C.search_interactions,
        description: 'Hybrid (BM25 + embedding) search over interactions, optionally within one session.',
        handler: (p) => searchInteractionsReply(mainPc, p, 'Exception searching interactions'),
      }),
      health_check: defineAction({
        params: C.health_check,
        description: 'Intended SessionMemoryAgent health reply.',
        handler: () => ({ status: 'success', agent: this.name, healthy: true }),
      }),
    };
  }

  override health(): Record<string, unknown> {
    const { sessions } = this.s;
    return { active_sessions: sessions.count('active'), total_sessions: sessions.count() };
  }
}

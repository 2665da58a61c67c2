import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import { ContextManagerContract as C } from '../../contracts/memory-hub/ContextManager.js';
import { LEGACY_SCOPE } from '../../src/suites/memory-hub/conversation/ContextWindowService.js';
import { guarded, searchInteractionsReply, truthy } from '../../src/suites/memory-hub/conversation/replies.js';
import type { ConversationServices } from '../../src/suites/memory-hub/conversation/services.js';
import { localIso } from '../../src/suites/memory-hub/conversation/util.js';

/**
 * ContextManager: both legacy variants on one agent. PC2 (7111, memory_hub.md §2.6): the
 * importance-scored conversation window. MainPC (5716, §2.7): context over stored memories and
 * sessions. The only shared name, get_context, takes the MainPC path when the request names a
 * session_id or context_id and the PC2 window otherwise (§5.2).
 */
export class ContextManager extends Agent {
  readonly name = 'ContextManager';
  override readonly legacyPort = 7111;
  override readonly legacyHealthPort = 7112;

  /** The PC2 ContextManager's health-socket object (memory_hub.md §2.6). */
  override legacyHealth(base: Record<string, unknown>): Record<string, unknown> {
    return {
      status: base.status, service: this.name, initialization_status: 'complete',
      port: this.legacyPort, health_port: this.legacyHealthPort, timestamp: new Date().toISOString(),
    };
  }

  constructor(private readonly s: ConversationServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const { windows, mainPc } = this.s;
    return {
      add_to_context: defineAction({
        params: C.add_to_context,
        description: 'PC2: add text to the window (empty text is ignored, still success).',
        handler: (p) =>
          guarded('Error processing request', () => {
            if (p.text) windows.add(LEGACY_SCOPE, p.text, p.speaker || null, p.metadata ?? {});
            return { status: 'success', message: 'Added to context' };
          }),
      }),
      get_context: defineAction({
        params: C.get_context,
        description: 'MainPC with session_id/context_id ({context} or {memory, related_memories}); else the PC2 window items.',
        handler: (p) =>
          guarded('Exception getting context', () => {
            const withMeta = p.include_metadata === true;
            if (truthy(p.session_id)) return { status: 'success', context: mainPc.sessionContext(p.session_id!, p.limit || 20, withMeta) };
            if (truthy(p.context_id)) return { status: 'success', ...mainPc.memoryContext(p.context_id!, withMeta) };
            return { status: 'success', context: windows.get(LEGACY_SCOPE, p.speaker, p.max_items) };
          }),
      }),
      get_context_text: defineAction({
        params: C.get_context_text,
        description: 'PC2: the window as lines "[speaker]: text".',
        handler: (p) => ({ status: 'success', context_text: windows.text(LEGACY_SCOPE, p.speaker, p.max_items) }),
      }),
      clear_context: defineAction({
        params: C.clear_context,
        description: "PC2: clear one speaker's window, or the main window and its scores.",
        handler: (p) => {
          windows.clear(LEGACY_SCOPE, p.speaker);
          return { status: 'success', message: 'Context cleared' };
        },
      }),
      prune_context: defineAction({
        params: C.prune_context,
        description: 'PC2: drop low-importance items when full, then enforce the token budget.',
        handler: (p) => {
          const r = windows.prune(LEGACY_SCOPE, p.max_tokens ?? undefined);
          return { status: 'success', message: 'Context pruned', removed: r.removed, remaining: r.remaining, tokens: r.tokens };
        },
      }),
      update_context: defineAction({
        params: C.update_context,
        description: 'MainPC: update a stored memory/interaction/fact (content, metadata if non-empty, importance if given).',
        handler: (p) =>
          guarded('Exception updating context', async () => {
            if (!truthy(p.context_id) || !truthy(p.content)) return errorReply('Missing required parameters');
            await mainPc.update(p.context_id!, p.content!, p.metadata ?? {}, p.importance ?? undefined);
            return { status: 'success', message: 'Context updated successfully' };
          }),
      }),
      merge_contexts: defineAction({
        params: C.merge_contexts,
        description: 'MainPC: put two or more memories into a new context group.',
        handler: (p) =>
          guarded('Exception merging contexts', () => {
            const ids = p.context_ids ?? [];
            if (ids.length < 2) return errorReply('Need at least two context IDs to merge');
            const { group_id } = mainPc.merge(ids, p.name || `Merged context ${localIso()}`, p.description || 'Automatically merged context');
            return { status: 'success', message: `Successfully merged ${ids.length} contexts`, group_id };
          }),
      }),
      get_recent_interactions: defineAction({
        params: C.get_recent_interactions,
        description: 'MainPC: session interactions of the last time_window hours, newest first.',
        handler: (p) =>
          guarded('Exception getting recent interactions', () => ({
            status: 'success',
            interactions: mainPc.recentInteractions(p.limit || 50, p.time_window ?? 24, p.user_id || undefined),
          })),
      }),
      search_context: defineAction({
        params: C.search_context,
        description: 'MainPC: hybrid search over interactions (lexical only when use_semantic is false).',
        handler: (p) => searchInteractionsReply(mainPc, p, 'Exception searching context'),
      }),
      health_check: defineAction({
        params: C.health_check,
        description: 'Intended MainPC ContextManager health reply.',
        handler: () => ({ status: 'success', agent: this.name, healthy: true }),
      }),
    };
  }

  override health(): Record<string, unknown> {
    return { window_size: this.s.windows.windowSize(LEGACY_SCOPE), window_items: this.s.windows.count(LEGACY_SCOPE) };
  }
}

import type { ContextItem, ContextWindowService, PruneResult } from './ContextWindowService.js';
import type { SessionRecord, SessionService } from './SessionService.js';

export interface BridgedItem extends ContextItem {
  session_id: string;
}

export interface SessionContextView {
  session_id: string;
  session_status: SessionRecord['status'];
  items: ContextItem[];
  tokens: number;
  budget: number;
  /** Context carried over from earlier sessions of the bridge chain (see session.create bridge_from). */
  bridged: BridgedItem[];
}

/** How many earlier sessions a bridge chain is followed through. */
const MAX_BRIDGE_HOPS = 3;

/**
 * A session's context window (context.* API): every interaction of the session enters the
 * window (importance-scored), the view is the most important items within a token budget, and
 * cross-session bridging adds the best items of the sessions this one was bridged from, within
 * whatever budget is left.
 */
export class SessionContextService {
  constructor(
    private readonly sessions: SessionService,
    private readonly windows: ContextWindowService,
    private readonly defaultBudget: number,
  ) {}

  add(sessionId: string, text: string, speaker: string | null, metadata: Record<string, unknown>, importance?: number): ContextItem | undefined {
    this.sessions.require(sessionId);
    return this.windows.add(sessionId, text, speaker, metadata, importance);
  }

  view(sessionId: string, opts: { budget?: number; maxItems?: number; includeBridged?: boolean } = {}): SessionContextView {
    const session = this.sessions.require(sessionId);
    const budget = opts.budget ?? this.defaultBudget;
    const own = this.windows.withinBudget(sessionId, budget, opts.maxItems);
    const bridged: BridgedItem[] = [];
    let left = budget - own.tokens;
    if (opts.includeBridged !== false) {
      let from = session.bridged_from;
      const seen = new Set([sessionId]);
      for (let hop = 0; from && hop < MAX_BRIDGE_HOPS && left > 0 && !seen.has(from); hop++) {
        seen.add(from);
        const part = this.windows.withinBudget(from, left);
        for (const item of part.items) bridged.push({ ...item, session_id: from });
        left -= part.tokens;
        from = this.sessions.get(from)?.bridged_from ?? null;
      }
    }
    return { session_id: sessionId, session_status: session.status, items: own.items, tokens: own.tokens, budget, bridged };
  }

  prune(sessionId: string, budget?: number): PruneResult {
    this.sessions.require(sessionId);
    return this.windows.prune(sessionId, budget ?? this.defaultBudget);
  }
}

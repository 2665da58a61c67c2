import type { CollisionRule, Params } from '../../runtime/Agent.js';

/**
 * Routing of action names that several MemoryHub agents share (memory_hub.md §3 table, §5.1–5.2).
 * The runtime applies `target_agent` first; these rules run only for requests without it.
 * Human-readable version: contracts/memory-hub/COLLISIONS.md (keep both in step).
 *
 * Some rules look at stored state (does this session id belong to a SessionMemoryAgent session or
 * to a UMRA interaction log?). The ids come from different sources (SessionMemoryAgent mints
 * `mem-<uuid>`, UMRA clients choose their own such as `alice_2025-07-16`), so the lookup is stable.
 * Live conversation modules register their lookups here; with none registered the rules fall back
 * to fields alone.
 */
export interface SessionOwnershipLookup {
  isSessionMemorySession(sessionId: string): boolean;
  isUmraSession(sessionId: string): boolean;
}

const lookups = new Set<SessionOwnershipLookup>();

/** Called by createConversationModule(); the returned function unregisters (on close). */
export function registerSessionLookup(lookup: SessionOwnershipLookup): () => void {
  lookups.add(lookup);
  return () => lookups.delete(lookup);
}

function owner(sessionId: unknown): 'session' | 'umra' | undefined {
  if (typeof sessionId !== 'string' || sessionId === '') return undefined;
  for (const l of lookups) {
    try {
      if (l.isSessionMemorySession(sessionId)) return 'session';
    } catch {
      /* a closed store answers nothing */
    }
  }
  for (const l of lookups) {
    try {
      if (l.isUmraSession(sessionId)) return 'umra';
    } catch {
      /* ignore */
    }
  }
  return undefined;
}

const has = (p: Params, key: string): boolean => p[key] !== undefined && p[key] !== null;

export const SESSION_AGENT = 'SessionMemoryAgent';
export const UMRA_AGENT = 'UnifiedMemoryReasoningAgent';
export const CONTEXT_AGENT = 'ContextManager';
export const KNOWLEDGE_AGENT = 'KnowledgeBase';
export const SESSIONS_API_AGENT = 'MemoryHubSessions';
export const CACHE_AGENT = 'CacheManager';
export const HUB_API_AGENT = 'MemoryHub';

/**
 * Bare health verbs (no target_agent) get the hub's own answer (agent "MemoryHub"): the BaseAgent
 * health fields plus Redis state, i.e. the superset §5.3 asks for, with the hub's name and ports.
 * (Until issue 19 CacheManager answered them, so a newcomer's ping named CacheManager on 7102.)
 * Each agent's own health reply stays reachable with target_agent or its legacy port.
 */
const healthRule = (action: string): CollisionRule => ({
  action,
  pick: () => undefined,
  fallback: HUB_API_AGENT,
  rule: `${action} without target_agent → MemoryHub's health object (BaseAgent fields + redis_available, status ok/degraded, name "MemoryHub", its main and health ports); with target_agent → that agent's own legacy health reply.`,
});

export const memoryHubCollisions: CollisionRule[] = [
  {
    action: 'get_context',
    pick: (p) => {
      if (has(p, 'context_id')) return CONTEXT_AGENT; // only the MainPC ContextManager has context ids
      if (has(p, 'max_tokens')) return UMRA_AGENT; // only UMRA takes a token budget
      if (has(p, 'include_metadata')) return CONTEXT_AGENT; // MainPC ContextManager session path
      if (!has(p, 'session_id')) return CONTEXT_AGENT; // speaker / max_items / nothing: the PC2 window
      const o = owner(p.session_id);
      if (o === 'session') return SESSION_AGENT;
      if (o === 'umra') return UMRA_AGENT;
      return undefined;
    },
    fallback: SESSION_AGENT,
    rule:
      'context_id → ContextManager (MainPC); max_tokens → UnifiedMemoryReasoningAgent; include_metadata → ContextManager (MainPC); ' +
      'no session_id → ContextManager (PC2 window); session_id of a SessionMemoryAgent session → SessionMemoryAgent; ' +
      'session_id with UMRA interactions → UnifiedMemoryReasoningAgent; otherwise SessionMemoryAgent.',
  },
  {
    action: 'add_interaction',
    pick: (p) => {
      if (has(p, 'role')) return SESSION_AGENT;
      if (has(p, 'interaction_type')) return UMRA_AGENT;
      // Older ContextualMemoryAgent clients send {user_id, project?, type, content} and expect "ok".
      if (has(p, 'type') || (!has(p, 'session_id') && has(p, 'user_id'))) return UMRA_AGENT;
      const o = owner(p.session_id);
      if (o === 'umra') return UMRA_AGENT;
      if (o === 'session') return SESSION_AGENT;
      return undefined;
    },
    fallback: SESSION_AGENT,
    rule:
      'role → SessionMemoryAgent; interaction_type (without role) → UnifiedMemoryReasoningAgent; type or user_id without session_id ' +
      '(ContextualMemoryAgent clients) → UnifiedMemoryReasoningAgent; session_id known to UMRA → UnifiedMemoryReasoningAgent; ' +
      'otherwise SessionMemoryAgent (which answers "Missing required parameters" when role is absent).',
  },
  {
    action: 'create_session',
    // Both the top-level SessionMemoryAgent shape and MemoryClient's {data:{...}} envelope create the
    // same kind of session, so every create_session lands in one session store.
    pick: () => SESSION_AGENT,
    fallback: SESSION_AGENT,
    rule: 'always SessionMemoryAgent: it accepts both the top-level fields and the MemoryClient {data:{…}} envelope and answers {status, session_id}.',
  },
  healthRule('health_check'),
  healthRule('health'),
  healthRule('ping'),
];

import { ContextManager } from '../../../../agents/memory-hub/ContextManager.js';
import { KnowledgeBase } from '../../../../agents/memory-hub/KnowledgeBase.js';
import { MemorySessionsApi } from '../../../../agents/memory-hub/MemorySessionsApi.js';
import { SessionMemoryAgent } from '../../../../agents/memory-hub/SessionMemoryAgent.js';
import { UnifiedMemoryReasoningAgent } from '../../../../agents/memory-hub/UnifiedMemoryReasoningAgent.js';
import { memoryHubCollisions, registerSessionLookup } from '../collisions.js';
import type { MemoryHubDeps, MemoryHubModule } from '../MemoryHubDeps.js';
import { ContextWindowService } from './ContextWindowService.js';
import { readConversationOptions } from './conversationConfig.js';
import { proactiveContextLoop, sessionSweepLoop } from './conversationLoops.js';
import { ConversationSearch } from './ConversationSearch.js';
import { ConversationVectors } from './ConversationVectors.js';
import { ErrorPatternService } from './ErrorPatternService.js';
import { KnowledgeService } from './KnowledgeService.js';
import { MainPcContextService } from './MainPcContextService.js';
import { orchestratorPortFromDeps, type OrchestratorMemoryPort } from './OrchestratorMemoryPort.js';
import { SessionContextService } from './SessionContextService.js';
import { SessionRedisIndex } from './SessionRedisIndex.js';
import { SessionService } from './SessionService.js';
import type { ConversationServices } from './services.js';
import { UmraService } from './UmraService.js';
import { importUmraLegacyFiles } from './umraLegacyImport.js';

export type { ConversationServices } from './services.js';

export interface ConversationModuleOptions {
  /** The orchestrator memory store the MainPC ContextManager reads; built from deps when omitted. */
  memories?: OrchestratorMemoryPort;
}

export interface ConversationModule extends MemoryHubModule {
  readonly services: ConversationServices;
}

/**
 * The conversation half of MemoryHub: SessionMemoryAgent, KnowledgeBase, UMRA, ContextManager
 * (both variants) and the namespaced session/context API, over the hub's SQLite, Redis and
 * embedder. start() loads persisted state and starts the expiry and proactive loops; close()
 * stops them (the stores belong to the suite).
 */
export function createConversationModule(deps: MemoryHubDeps, moduleOpts: ConversationModuleOptions = {}): ConversationModule {
  const options = readConversationOptions(deps.config);
  const log = deps.log.child({ part: 'conversation' });
  const vectors = new ConversationVectors(deps.db, deps.embedder, log);
  const index = new SessionRedisIndex(deps.redis, log);
  const windows = new ContextWindowService(deps.db, options.contextTokenBudget);
  const sessions = new SessionService(deps.db, index, vectors, options.sessionTtlS, {
    // every turn of a session also enters that session's context window (same transaction)
    interactionAdded: (i) => void windows.add(i.session_id, i.content, i.role, { interaction_id: i.interaction_id }),
    sessionDeleted: (id) => windows.deleteScope(id),
  });
  let knowledge: KnowledgeService | undefined;
  const search = new ConversationSearch(deps.db, vectors, options.minSimilarity, {
    interaction: (e, n) => sessions.missingVectors(e, n),
    fact: (e, n) => knowledge!.missingVectors(e, n),
  });
  knowledge = new KnowledgeService(deps.db, deps.redis, vectors, search, log);
  const memories = moduleOpts.memories ?? orchestratorPortFromDeps(deps, options.maxContentChars * 4);
  const mainPc = new MainPcContextService(sessions, knowledge, search, memories, options.contextCacheTtlS, options.contextCacheSweepS);
  const sessionContext = new SessionContextService(sessions, windows, options.contextTokenBudget);
  const umra = new UmraService(deps.db, options.umraMaxSessionHistory);
  const errorPatterns = new ErrorPatternService(deps.db, log);

  const services: ConversationServices = {
    options,
    redis: deps.redis,
    sessions,
    knowledge,
    windows,
    sessionContext,
    mainPc,
    umra,
    errorPatterns,
    startedAt: Date.now(),
  };

  const sweep = sessionSweepLoop(options, sessions, index, log);
  const proactive = options.proactiveIntervalS > 0 ? proactiveContextLoop(options, sessions, sessionContext, deps.redis, log) : undefined;
  let unregister: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  return {
    services,
    agents: [
      new SessionMemoryAgent(services),
      new KnowledgeBase(services),
      new UnifiedMemoryReasoningAgent(services),
      new ContextManager(services),
      new MemorySessionsApi(services),
    ],
    collisions: memoryHubCollisions,
    async start() {
      if (options.umraLegacyDir) {
        // legacy UMRA wrote JSON files it never read back; bring them in once (empty tables only)
        const r = importUmraLegacyFiles(deps.db, options.umraLegacyDir);
        if (r.imported) log.info(r, 'imported legacy UMRA store files');
      }
      errorPatterns.load();
      unregister = registerSessionLookup({
        isSessionMemorySession: (id) => sessions.exists(id),
        isUmraSession: (id) => umra.hasSession(id),
      });
      await index.resync(sessions.activeSessions());
      sweep.start();
      proactive?.start();
    },
    health() {
      return {
        sessions: { active: sessions.count('active'), total: sessions.count(), redis_index_stale: index.isStale },
        facts: knowledge!.count(),
        umra: { ...umra.totals(), total_error_patterns: errorPatterns.count() },
        loops: { session_expiry: sweep.health(), ...(proactive ? { proactive_context: proactive.health() } : {}) },
        embedder: vectors.embedderName,
      };
    },
    close() {
      closing ??= (async () => {
        unregister?.();
        await Promise.allSettled([sweep.stop(), proactive?.stop()]);
      })();
      return closing;
    },
  };
}

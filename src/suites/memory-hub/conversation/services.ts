import type { RedisConnections } from '../../../stores/redis/RedisConnections.js';
import type { ContextWindowService } from './ContextWindowService.js';
import type { ConversationOptions } from './conversationConfig.js';
import type { ErrorPatternService } from './ErrorPatternService.js';
import type { KnowledgeService } from './KnowledgeService.js';
import type { MainPcContextService } from './MainPcContextService.js';
import type { SessionContextService } from './SessionContextService.js';
import type { SessionService } from './SessionService.js';
import type { UmraService } from './UmraService.js';

/** What the conversation agents (agents/memory-hub/) are built on. */
export interface ConversationServices {
  readonly options: ConversationOptions;
  readonly redis: RedisConnections;
  readonly sessions: SessionService;
  readonly knowledge: KnowledgeService;
  readonly windows: ContextWindowService;
  readonly sessionContext: SessionContextService;
  readonly mainPc: MainPcContextService;
  readonly umra: UmraService;
  readonly errorPatterns: ErrorPatternService;
  /** Epoch ms when the module was created (agents' legacy `uptime`). */
  readonly startedAt: number;
}

import type { Logger } from '../../../runtime/logger.js';
import type { RedisConnections } from '../../../stores/redis/RedisConnections.js';
import { BackgroundLoop } from '../loops/BackgroundLoop.js';
import type { ConversationOptions } from './conversationConfig.js';
import type { SessionContextService } from './SessionContextService.js';
import type { SessionRedisIndex } from './SessionRedisIndex.js';
import type { SessionService } from './SessionService.js';
import { nowS } from './util.js';

/** Redis db0 key of a proactive context bundle; `context_summaries` is a CacheManager cache type. */
export const proactiveKey = (sessionId: string): string => `context_summaries:${sessionId}`;

/** Most sessions one proactive pass refreshes. */
const PROACTIVE_BATCH = 200;

/**
 * Session expiry: marks sessions idle past their TTL as expired (SQLite first, then the Redis db1
 * mirror), and rewrites the mirror from SQLite whenever it may have drifted (Redis was down).
 */
export function sessionSweepLoop(opts: ConversationOptions, sessions: SessionService, index: SessionRedisIndex, log: Logger): BackgroundLoop {
  return new BackgroundLoop(
    'session_expiry',
    opts.sessionSweepIntervalS * 1000,
    async () => {
      const expired = sessions.expireDue(nowS());
      let resynced = false;
      if (index.isStale) resynced = await index.resync(sessions.activeSessions());
      return { expired: expired.length, index_resynced: resynced };
    },
    log,
  );
}

/**
 * Proactive context: for sessions active recently, precomputes the context view (window within
 * budget + bridged items) and stores it in Redis db0 as `context_summaries:<session_id>`, where
 * the CacheManager's `get {cache_type:"context_summaries"}` and other PC2 readers find it ready.
 * Without Redis the pass does nothing (the view is always computable on demand).
 */
export function proactiveContextLoop(
  opts: ConversationOptions,
  sessions: SessionService,
  sessionContext: SessionContextService,
  redis: RedisConnections,
  log: Logger,
): BackgroundLoop {
  return new BackgroundLoop(
    'proactive_context',
    opts.proactiveIntervalS * 1000,
    async (signal) => {
      const client = redis.client('cache');
      if (!client) return { refreshed: 0, skipped: 'redis unavailable' };
      const recent = sessions.recentlyActive(nowS() - opts.proactiveRecentS, PROACTIVE_BATCH);
      const pipe = client.pipeline();
      for (const s of recent) {
        if (signal.aborted) break;
        const view = sessionContext.view(s.session_id);
        pipe.setex(proactiveKey(s.session_id), Math.max(1, Math.round(opts.proactiveCacheTtlS)), JSON.stringify({ ...view, computed_at: nowS() }));
      }
      await pipe.exec();
      return { refreshed: recent.length };
    },
    log,
  );
}

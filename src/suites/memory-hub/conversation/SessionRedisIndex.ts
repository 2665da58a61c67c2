import type { Logger } from '../../../runtime/logger.js';
import type { RedisConnections } from '../../../stores/redis/RedisConnections.js';
import type { SessionRecord } from './SessionService.js';

export const sessionKey = (id: string): string => `sm:session:${id}`;
export const SESSION_EXPIRY_ZSET = 'sm:session_expiry';

/**
 * Mirror of active sessions in Redis db1: `sm:session:<id>` (JSON, expiring when the session does)
 * and the sorted set `sm:session_expiry` (score = expires_at epoch seconds) that other PC2
 * processes can use as a TTL index. SQLite stays the truth: a failed mirror write only marks the
 * index stale, and the next sweep rewrites it from SQLite.
 */
export class SessionRedisIndex {
  private stale = true;

  constructor(
    private readonly redis: RedisConnections,
    private readonly log: Logger,
  ) {}

  get isStale(): boolean {
    return this.stale;
  }

  markStale(): void {
    this.stale = true;
  }

  mirror(s: SessionRecord): void {
    const client = this.redis.client('sessions');
    if (!client) {
      this.stale = true;
      return;
    }
    const ms = Math.max(1, Math.round(s.expires_at * 1000));
    client
      .multi()
      .set(sessionKey(s.session_id), JSON.stringify(s))
      .pexpireat(sessionKey(s.session_id), ms)
      .zadd(SESSION_EXPIRY_ZSET, s.expires_at, s.session_id)
      .exec()
      .catch((err: Error) => {
        this.stale = true;
        this.log.debug({ err: err.message }, 'session mirror write failed');
      });
  }

  drop(ids: string[]): void {
    if (ids.length === 0) return;
    const client = this.redis.client('sessions');
    if (!client) {
      this.stale = true;
      return;
    }
    client
      .multi()
      .del(...ids.map(sessionKey))
      .zrem(SESSION_EXPIRY_ZSET, ...ids)
      .exec()
      .catch(() => {
        this.stale = true;
      });
  }

  /** Rewrites the whole index from SQLite's active sessions (after an outage or at start). */
  async resync(active: SessionRecord[]): Promise<boolean> {
    const client = this.redis.client('sessions');
    if (!client) return false;
    try {
      const known = await client.zrange(SESSION_EXPIRY_ZSET, 0, -1);
      const keep = new Set(active.map((s) => s.session_id));
      const gone = known.filter((id) => !keep.has(id));
      const m = client.multi();
      if (gone.length) m.del(...gone.map(sessionKey)).zrem(SESSION_EXPIRY_ZSET, ...gone);
      for (const s of active) {
        m.set(sessionKey(s.session_id), JSON.stringify(s))
          .pexpireat(sessionKey(s.session_id), Math.max(1, Math.round(s.expires_at * 1000)))
          .zadd(SESSION_EXPIRY_ZSET, s.expires_at, s.session_id);
      }
      await m.exec();
      this.stale = false;
      return true;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'session index resync failed');
      return false;
    }
  }
}

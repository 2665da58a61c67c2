import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import type { ConversationVectors } from './ConversationVectors.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { SessionRedisIndex } from './SessionRedisIndex.js';
import { newMemoryId, nowS, parseJson } from './util.js';

export type SessionStatus = 'active' | 'ended' | 'expired';

export interface SessionRecord {
  session_id: string;
  user_id: string;
  session_type: string;
  metadata: Record<string, unknown>;
  status: SessionStatus;
  ttl_seconds: number;
  created_at: number;
  last_activity: number;
  expires_at: number;
  ended_at: number | null;
  bridged_from: string | null;
}

export interface InteractionRecord {
  interaction_id: string;
  session_id: string;
  role: string;
  content: string;
  metadata: Record<string, unknown>;
  tags: string[];
  importance: number;
  access_count: number;
  last_accessed_at: number;
  created_at: number;
}

interface SessionRow extends Omit<SessionRecord, 'metadata'> {
  metadata: string;
}
interface InteractionRow extends Omit<InteractionRecord, 'metadata' | 'tags'> {
  metadata: string;
  tags: string;
  seq: number;
}

export interface CreateSessionInput {
  userId: string;
  sessionType: string;
  metadata: Record<string, unknown>;
  ttlS?: number;
  /** A session id, or 'latest' = this user's most recent earlier session. */
  bridgeFrom?: string;
}

/** Work other services do inside the same transaction as a session write. */
export interface SessionHooks {
  interactionAdded?(rec: InteractionRecord): void;
  interactionUpdated?(rec: InteractionRecord): void;
  sessionDeleted?(sessionId: string): void;
}

const toSession = (r: SessionRow): SessionRecord => ({ ...r, metadata: parseJson(r.metadata, {}) });
const toInteraction = (r: InteractionRow): InteractionRecord => ({
  interaction_id: r.interaction_id,
  session_id: r.session_id,
  role: r.role,
  content: r.content,
  metadata: parseJson(r.metadata, {}),
  tags: parseJson(r.tags, []),
  importance: r.importance,
  access_count: r.access_count,
  last_accessed_at: r.last_accessed_at,
  created_at: r.created_at,
});

/**
 * Conversation sessions and their interactions (SessionMemoryAgent, session.* API).
 * Lifecycle: active → ended (explicit) or expired (idle longer than its TTL; swept by the loop).
 * Only active sessions take new interactions. SQLite is the truth; Redis db1 mirrors active ones.
 */
export class SessionService {
  private readonly stmt;
  private readonly listeners = new Set<(sessionId: string) => void>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly index: SessionRedisIndex,
    private readonly vectors: ConversationVectors,
    private readonly defaultTtlS: number,
    private readonly hooks: SessionHooks = {},
  ) {
    this.stmt = {
      insert: db.prepare(`INSERT INTO sessions (session_id, user_id, session_type, metadata, status, ttl_seconds, created_at,
          last_activity, expires_at, ended_at, bridged_from)
        VALUES (@session_id, @user_id, @session_type, @metadata, 'active', @ttl_seconds, @created_at, @last_activity,
          @expires_at, NULL, @bridged_from)`),
      get: db.prepare('SELECT * FROM sessions WHERE session_id = ?'),
      latestOfUser: db.prepare(`SELECT session_id FROM sessions WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`).pluck(),
      touch: db.prepare(`UPDATE sessions SET last_activity = ?, expires_at = ? + ttl_seconds WHERE session_id = ? AND status = 'active'`),
      setStatus: db.prepare(`UPDATE sessions SET status = ?, ended_at = ? WHERE session_id = ? AND status = 'active'`),
      remove: db.prepare('DELETE FROM sessions WHERE session_id = ?'),
      due: db.prepare(`SELECT session_id FROM sessions WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?`).pluck(),
      active: db.prepare(`SELECT * FROM sessions WHERE status = 'active'`),
      addInteraction: db.prepare(`INSERT INTO session_interactions (interaction_id, session_id, role, content, metadata, tags,
          importance, access_count, last_accessed_at, created_at)
        VALUES (@interaction_id, @session_id, @role, @content, @metadata, @tags, @importance, 0, @created_at, @created_at)`),
      interactionIds: db.prepare('SELECT interaction_id FROM session_interactions WHERE session_id = ?').pluck(),
      lastInteractions: db.prepare(`SELECT * FROM (SELECT * FROM session_interactions WHERE session_id = ? ORDER BY seq DESC LIMIT ?)
        ORDER BY seq ASC`),
      interaction: db.prepare('SELECT * FROM session_interactions WHERE interaction_id = ?'),
      updateInteraction: db.prepare(`UPDATE session_interactions SET content = @content, metadata = @metadata, importance = @importance,
          last_accessed_at = @now WHERE interaction_id = @interaction_id`),
      missingVectors: db.prepare(`SELECT i.interaction_id AS id, i.content AS text FROM session_interactions i
        LEFT JOIN conversation_vectors v ON v.kind = 'interaction' AND v.item_id = i.interaction_id AND v.embedder = ?
        WHERE v.item_id IS NULL LIMIT ?`),
    };
  }

  /** Notified (after commit) whenever a session or its interactions change; used for answer caches. */
  onChange(listener: (sessionId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(sessionId: string): void {
    for (const l of this.listeners) l(sessionId);
  }

  create(input: CreateSessionInput): SessionRecord {
    const now = nowS();
    const ttl = input.ttlS ?? this.defaultTtlS;
    const rec = this.db.transaction((): SessionRecord => {
      let bridged: string | null = null;
      if (input.bridgeFrom === 'latest') {
        bridged = (this.stmt.latestOfUser.get(input.userId) as string | undefined) ?? null;
      } else if (input.bridgeFrom) {
        if (!this.stmt.get.get(input.bridgeFrom)) throw new NotFoundError('Session', input.bridgeFrom);
        bridged = input.bridgeFrom;
      }
      const row = {
        session_id: newMemoryId(),
        user_id: input.userId,
        session_type: input.sessionType,
        metadata: JSON.stringify(input.metadata),
        ttl_seconds: ttl,
        created_at: now,
        last_activity: now,
        expires_at: now + ttl,
        bridged_from: bridged,
      };
      this.stmt.insert.run(row);
      return toSession(this.stmt.get.get(row.session_id) as SessionRow);
    })();
    this.index.mirror(rec);
    return rec;
  }

  get(sessionId: string): SessionRecord | undefined {
    const row = this.stmt.get.get(sessionId) as SessionRow | undefined;
    return row ? toSession(row) : undefined;
  }

  require(sessionId: string): SessionRecord {
    const s = this.get(sessionId);
    if (!s) throw new NotFoundError('Session', sessionId);
    return s;
  }

  private requireActive(sessionId: string): SessionRecord {
    const s = this.require(sessionId);
    if (s.status !== 'active') throw new ConflictError(`Session ${sessionId} is ${s.status}; create a new session`);
    return s;
  }

  /** Extends an active session's lifetime by its TTL from now. */
  touch(sessionId: string): SessionRecord {
    const rec = this.db.transaction(() => {
      this.requireActive(sessionId);
      const now = nowS();
      this.stmt.touch.run(now, now, sessionId);
      return this.require(sessionId);
    })();
    this.index.mirror(rec);
    return rec;
  }

  end(sessionId: string): SessionRecord {
    const rec = this.db.transaction(() => {
      this.requireActive(sessionId);
      this.stmt.setStatus.run('ended', nowS(), sessionId);
      return this.require(sessionId);
    })();
    this.index.drop([sessionId]);
    this.changed(sessionId);
    return rec;
  }

  list(opts: { userId?: string; status?: SessionStatus; limit: number; offset: number }): { sessions: SessionRecord[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.userId !== undefined) {
      where.push('user_id = ?');
      args.push(opts.userId);
    }
    if (opts.status !== undefined) {
      where.push('status = ?');
      args.push(opts.status);
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare(`SELECT COUNT(*) FROM sessions ${w}`).pluck().get(...args) as number;
    const rows = this.db
      .prepare(`SELECT * FROM sessions ${w} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`)
      .all(...args, opts.limit, opts.offset) as SessionRow[];
    return { sessions: rows.map(toSession), total };
  }

  /** Deletes a session with its interactions, vectors and context window. False when unknown. */
  delete(sessionId: string): boolean {
    const done = this.db.transaction(() => {
      if (!this.stmt.get.get(sessionId)) return false;
      const ids = this.stmt.interactionIds.all(sessionId) as string[];
      this.vectors.remove('interaction', ids);
      this.hooks.sessionDeleted?.(sessionId);
      this.stmt.remove.run(sessionId); // interactions cascade (foreign key)
      return true;
    })();
    if (done) {
      this.index.drop([sessionId]);
      this.changed(sessionId);
    }
    return done;
  }

  /** Stores one interaction in an active session and refreshes its activity; the embedding follows. */
  async addInteraction(sessionId: string, role: string, content: string, metadata: Record<string, unknown>, importance = 0.5): Promise<InteractionRecord> {
    const now = nowS();
    const rec = this.db.transaction(() => {
      this.requireActive(sessionId);
      const row = {
        interaction_id: newMemoryId(),
        session_id: sessionId,
        role,
        content,
        metadata: JSON.stringify(metadata),
        tags: JSON.stringify([role.toLowerCase()]),
        importance,
        created_at: now,
      };
      this.stmt.addInteraction.run(row);
      this.stmt.touch.run(now, now, sessionId);
      const added = toInteraction(this.stmt.interaction.get(row.interaction_id) as InteractionRow);
      this.hooks.interactionAdded?.(added);
      return added;
    })();
    this.index.mirror(this.require(sessionId));
    this.changed(sessionId);
    await this.vectors.index('interaction', [{ id: rec.interaction_id, text: rec.content }]);
    return rec;
  }

  /** The newest `limit` interactions of a session, oldest first. */
  interactions(sessionId: string, limit: number): InteractionRecord[] {
    return (this.stmt.lastInteractions.all(sessionId, limit) as InteractionRow[]).map(toInteraction);
  }

  interactionIds(sessionId: string): string[] {
    return this.stmt.interactionIds.all(sessionId) as string[];
  }

  getInteraction(id: string): InteractionRecord | undefined {
    const row = this.stmt.interaction.get(id) as InteractionRow | undefined;
    return row ? toInteraction(row) : undefined;
  }

  getInteractions(ids: string[]): InteractionRecord[] {
    return ids.map((id) => this.getInteraction(id)).filter((r): r is InteractionRecord => r !== undefined);
  }

  async updateInteraction(id: string, change: { content?: string; metadata?: Record<string, unknown>; importance?: number }): Promise<InteractionRecord> {
    const rec = this.db.transaction(() => {
      const cur = this.getInteraction(id);
      if (!cur) throw new NotFoundError('Memory', id, `Memory with ID ${id} not found.`);
      this.stmt.updateInteraction.run({
        interaction_id: id,
        content: change.content ?? cur.content,
        metadata: JSON.stringify(change.metadata ?? cur.metadata),
        importance: change.importance ?? cur.importance,
        now: nowS(),
      });
      const updated = this.getInteraction(id)!;
      this.hooks.interactionUpdated?.(updated);
      return updated;
    })();
    this.changed(rec.session_id);
    if (change.content !== undefined) await this.vectors.index('interaction', [{ id, text: rec.content }]);
    return rec;
  }

  /** Interactions newer than `sinceS`, newest first, optionally of one user's sessions. */
  recentInteractions(sinceS: number, limit: number, userId?: string): InteractionRecord[] {
    const rows = (
      userId === undefined
        ? this.db.prepare(`SELECT * FROM session_interactions WHERE created_at >= ? ORDER BY seq DESC LIMIT ?`).all(sinceS, limit)
        : this.db
            .prepare(`SELECT i.* FROM session_interactions i JOIN sessions s ON s.session_id = i.session_id
              WHERE i.created_at >= ? AND s.user_id = ? ORDER BY i.seq DESC LIMIT ?`)
            .all(sinceS, userId, limit)
    ) as InteractionRow[];
    return rows.map(toInteraction);
  }

  /** Marks every active session past its expiry as expired; returns their ids. */
  expireDue(now = nowS(), batch = 500): string[] {
    const ids = this.db.transaction(() => {
      const due = this.stmt.due.all(now, batch) as string[];
      for (const id of due) this.stmt.setStatus.run('expired', now, id);
      return due;
    })();
    if (ids.length) {
      this.index.drop(ids);
      for (const id of ids) this.changed(id);
    }
    return ids;
  }

  activeSessions(): SessionRecord[] {
    return (this.stmt.active.all() as SessionRow[]).map(toSession);
  }

  /** Sessions whose last activity is at or after `sinceS` (proactive loop). */
  recentlyActive(sinceS: number, limit: number): SessionRecord[] {
    return (
      this.db
        .prepare(`SELECT * FROM sessions WHERE status = 'active' AND last_activity >= ? ORDER BY last_activity DESC LIMIT ?`)
        .all(sinceS, limit) as SessionRow[]
    ).map(toSession);
  }

  missingVectors(embedder: string, limit: number): Array<{ id: string; text: string }> {
    return this.stmt.missingVectors.all(embedder, limit) as Array<{ id: string; text: string }>;
  }

  exists(sessionId: string): boolean {
    return this.stmt.get.get(sessionId) !== undefined;
  }

  count(status?: SessionStatus): number {
    return (
      status
        ? this.db.prepare('SELECT COUNT(*) FROM sessions WHERE status = ?').pluck().get(status)
        : this.db.prepare('SELECT COUNT(*) FROM sessions').pluck().get()
    ) as number;
  }
}

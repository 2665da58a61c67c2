import { localIso } from './timeFormat.js';

export const MAX_LEARNING_SESSIONS = 10;
export const LEARNING_RATE_DECAY = 0.9;

export interface LearningSession {
  model_id: string;
  created_at: string;
  last_active: string;
  parameters: Record<string, unknown>;
  status: string;
  progress: unknown;
  metrics: Record<string, unknown>;
  history: { timestamp: string; metrics: Record<string, unknown> }[];
}

interface Archived {
  session_id: string;
  model_id: string;
  created_at: string;
  ended_at: string;
  final_status: string;
  final_metrics: Record<string, unknown>;
}

/**
 * LearningManager sessions and its single learning rate (learning_suite.md §4.4), in memory as in
 * legacy: at most 10 sessions (the oldest is evicted unarchived), delete archives, and the rate
 * decays ×0.9 when an update's loss is worse than the last archived session's final loss.
 */
export class LearningSessions {
  private readonly sessions = new Map<string, LearningSession>();
  private readonly archive: Archived[] = [];
  learningRate: number;
  sessionsManaged = 0;
  readonly processedItems = 0;
  readonly learningParameters: { learning_rate: number; batch_size: number; epochs: number; optimizer: string };

  constructor(opts: { learningRate: number; batchSize: number; epochs: number; optimizer: string }) {
    this.learningRate = opts.learningRate;
    this.learningParameters = { learning_rate: opts.learningRate, batch_size: opts.batchSize, epochs: opts.epochs, optimizer: opts.optimizer };
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  create(sessionId: string, modelId: string, parameters: Record<string, unknown>): string {
    if (this.sessions.size >= MAX_LEARNING_SESSIONS) {
      let oldest: string | undefined;
      for (const [id, s] of this.sessions) if (oldest === undefined || s.created_at < this.sessions.get(oldest)!.created_at) oldest = id;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const now = localIso();
    this.sessions.set(sessionId, { model_id: modelId, created_at: now, last_active: now, parameters, status: 'initialized', progress: 0.0, metrics: {}, history: [] });
    this.sessionsManaged++;
    return sessionId;
  }

  /** Returns the learning rate when metrics were given, null when not, undefined for an unknown session. */
  update(sessionId: string, status: unknown, progress: unknown, metrics: Record<string, unknown>): { learningRate: number | null } | undefined {
    const s = this.sessions.get(sessionId);
    if (!s) return undefined;
    const now = localIso();
    s.last_active = now;
    if (typeof status === 'string' && status) s.status = status;
    else if (status) s.status = String(status);
    if (progress !== undefined && progress !== null) s.progress = progress;
    if (Object.keys(metrics).length === 0) return { learningRate: null };
    Object.assign(s.metrics, metrics);
    s.history.push({ timestamp: now, metrics: { ...metrics } });
    const last = this.archive[this.archive.length - 1];
    const loss = metrics.loss;
    const prev = last?.final_metrics.loss;
    if (typeof loss === 'number' && typeof prev === 'number' && loss > prev) this.learningRate *= LEARNING_RATE_DECAY;
    return { learningRate: this.learningRate };
  }

  get(sessionId: string): LearningSession | undefined {
    const s = this.sessions.get(sessionId);
    if (s) s.last_active = localIso();
    return s;
  }

  delete(sessionId: string): boolean {
    const s = this.sessions.get(sessionId);
    if (!s) return false;
    this.sessions.delete(sessionId);
    this.archive.push({ session_id: sessionId, model_id: s.model_id, created_at: s.created_at, ended_at: localIso(), final_status: s.status, final_metrics: { ...s.metrics } });
    return true;
  }
}

import { Agent, defineAction, type ActionDefinition, type RequestContext } from '../../src/runtime/Agent.js';
import * as C from '../../contracts/adaptive-learning/LearningManager.js';
import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';

type Reply = Record<string, unknown>;

/**
 * LearningManager (learning_suite.md §4): in-memory learning sessions and one global learning
 * rate. Every reply carries `request_id` (the request's, or "").
 */
export class LearningManager extends Agent {
  readonly name = 'LearningManager';
  override readonly legacyPort = 5580;
  override readonly legacyHealthPort = 5581;

  constructor(private readonly s: LearningServices) {
    super();
  }

  private wrap(fn: (p: Record<string, unknown>) => Reply) {
    return (p: Record<string, unknown>, ctx: RequestContext): Reply => {
      const rid = { request_id: ctx.requestId ?? '' };
      try {
        return { ...fn(p), ...rid };
      } catch (err) {
        return { status: 'error', message: `Error: ${err instanceof Error ? err.message : String(err)}`, ...rid };
      }
    };
  }

  actions(): Record<string, ActionDefinition> {
    const lm = this.s.sessions;
    return {
      create_session: defineAction({
        params: C.createSession,
        description: 'Create a learning session (default id: unix time as a float string).',
        handler: this.wrap((p) => {
          if (!p.model_id) return { status: 'error', message: 'Missing model_id' };
          const id = p.session_id === undefined || p.session_id === null ? String(Date.now() / 1000) : String(p.session_id);
          const params = typeof p.parameters === 'object' && p.parameters !== null ? (p.parameters as Record<string, unknown>) : {};
          lm.create(id, String(p.model_id), params);
          // Legacy replied "error" for a falsy id although the session was created (§4.2).
          return id ? { status: 'success', session_id: id } : { status: 'error', session_id: id };
        }),
      }),
      update_session: defineAction({
        params: C.updateSession,
        description: 'Update status/progress/metrics; a worse loss than the last finished session decays the learning rate ×0.9.',
        handler: this.wrap((p) => {
          if (!p.session_id) return { status: 'error', message: 'Missing session_id' };
          const metrics = typeof p.metrics === 'object' && p.metrics !== null ? (p.metrics as Record<string, unknown>) : {};
          const r = lm.update(String(p.session_id), p.status, p.progress, metrics);
          if (!r) return { status: 'error' };
          return r.learningRate === null ? { status: 'success' } : { status: 'success', learning_rate: r.learningRate };
        }),
      }),
      get_session: defineAction({
        params: C.getSession,
        description: 'One session with its metrics history.',
        handler: this.wrap((p) => {
          if (!p.session_id) return { status: 'error', message: 'Missing session_id' };
          const s = lm.get(String(p.session_id));
          return s ? { status: 'success', session: s } : { status: 'error', session: null };
        }),
      }),
      delete_session: defineAction({
        params: C.deleteSession,
        description: 'End a session and archive its final metrics.',
        handler: this.wrap((p) => {
          if (!p.session_id) return { status: 'error', message: 'Missing session_id' };
          return lm.delete(String(p.session_id)) ? { status: 'success' } : { status: 'error' };
        }),
      }),
      get_learning_rate: defineAction({
        params: C.getLearningRate,
        description: 'The current global learning rate (model_id is accepted and ignored, as legacy).',
        handler: this.wrap(() => ({ status: 'success', learning_rate: lm.learningRate })),
      }),
    };
  }

  override health(): Record<string, unknown> {
    const lm = this.s.sessions;
    return { service: 'learning_manager', sessions_managed: lm.sessionsManaged, active_sessions: lm.activeSessions, learning_rate: lm.learningRate };
  }
}

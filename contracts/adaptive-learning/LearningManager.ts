import { checked, checkedRequired, T } from '../agentChecked.js';
import { loose } from './common.js';

/**
 * learning_suite.md §4.2. LearningManager checked its fields itself (truthiness, with its own
 * wording and a `request_id` in every reply), so the schemas let any value through; the types it
 * reads are recorded for the published contracts (../agentChecked.ts).
 */
const truthyId = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'number', not: { const: 0 } }] };
const sessionId = checkedRequired(truthyId, 'numbers are turned into text');

export const createSession = loose({
  model_id: checkedRequired(truthyId),
  session_id: checked({ type: ['string', 'number'] }, 'default: the unix time as a float string'),
  parameters: checked(T.object, 'stored with the session'),
});
export const updateSession = loose({
  session_id: sessionId,
  status: checked(T.string, 'new status, e.g. "running", "completed"'),
  progress: checked(T.any, 'stored as given'),
  metrics: checked(T.object, 'merged into the session metrics and kept in its history; a higher `loss` than the last finished session decays the learning rate ×0.9'),
});
export const getSession = loose({ session_id: sessionId });
export const deleteSession = loose({ session_id: sessionId });
export const getLearningRate = loose({ model_id: checked(T.string, 'accepted and ignored, as legacy') });

export const sessionReplyFields = ['model_id', 'created_at', 'last_active', 'parameters', 'status', 'progress', 'metrics', 'history'] as const;

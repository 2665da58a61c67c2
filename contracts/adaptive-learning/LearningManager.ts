import { loose } from './common.js';

/**
 * learning_suite.md §4.2. LearningManager checked its fields itself (truthiness, with its own
 * wording and a `request_id` in every reply), so the schemas only accept the envelope.
 */
export const createSession = loose({});
export const updateSession = loose({});
export const getSession = loose({});
export const deleteSession = loose({});
export const getLearningRate = loose({});

export const sessionReplyFields = ['model_id', 'created_at', 'last_active', 'parameters', 'status', 'progress', 'metrics', 'history'] as const;

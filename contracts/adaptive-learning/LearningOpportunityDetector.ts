import { z } from 'zod';
import { checkedRequired } from '../agentChecked.js';
import { loose } from './common.js';

/** learning_suite.md §6.2. */
export const getTopOpportunities = loose({
  category: z.string().optional(),
  limit: z.number().int().min(1).max(1000).default(10),
});

export const markProcessed = loose({ opportunity_id: checkedRequired({ type: ['string', 'number'], minLength: 1 }) });

export const getStats = loose({});

export const opportunityReplyFields = ['id', 'source', 'score', 'category', 'created_at', 'processed'] as const;

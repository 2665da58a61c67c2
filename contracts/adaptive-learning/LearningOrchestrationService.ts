import { z } from 'zod';
import { loose } from './common.js';

/** learning_suite.md §5.2. The id and timestamp are validated by the service (legacy counted failures too). */
export const newLearningOpportunity = loose({
  opportunity_id: z.unknown().optional(),
  score: z.number().optional(),
  category: z.string().optional(),
  timestamp: z.unknown().optional(),
});

export const getTrainingCycles = loose({ limit: z.number().int().min(1).max(1000).default(10) });

export const getStats = loose({});

export const cycleReplyFields = ['cycle_id', 'model_name', 'learning_opportunities', 'status', 'start_time', 'end_time', 'resource_allocation', 'hyperparameters', 'training_logs'] as const;

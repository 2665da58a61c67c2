import { z } from 'zod';
import { checked, checkedRequired } from '../agentChecked.js';
import { loose } from './common.js';

/** learning_suite.md §5.2. The id and timestamp are validated by the service (legacy counted failures too). */
export const newLearningOpportunity = loose({
  opportunity_id: checkedRequired({ type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', title: 'UUID string' }),
  score: z.number().optional(),
  category: z.string().optional(),
  timestamp: checked({ type: ['string', 'null'] }, 'ISO-8601 (Python isoformat); default now'),
});

export const getTrainingCycles = loose({ limit: z.number().int().min(1).max(1000).default(10) });

export const getStats = loose({});

export const cycleReplyFields = ['cycle_id', 'model_name', 'learning_opportunities', 'status', 'start_time', 'end_time', 'resource_allocation', 'hyperparameters', 'training_logs'] as const;

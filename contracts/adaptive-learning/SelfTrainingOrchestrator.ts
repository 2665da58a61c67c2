import { z } from 'zod';
import { loose, nonEmptyString } from './common.js';

/** learning_suite.md §2.2. `config.resources` is checked by the service (legacy wording). */
export const createCycle = loose({
  agent_id: nonEmptyString,
  config: z.record(z.string(), z.unknown()),
  priority: z.number().int().default(1),
});

export const startCycle = loose({ cycle_id: nonEmptyString });

/** Shared name with LFT; `cycle_id` routes here (see README collision rules). */
export const getCycleStatus = loose({ cycle_id: z.string().optional(), job_id: z.string().optional() });

export const cycleReplyFields = ['id', 'agent_id', 'status', 'progress', 'start_time', 'end_time', 'error', 'metrics'] as const;

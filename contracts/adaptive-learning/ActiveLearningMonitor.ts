import { z } from 'zod';
import { loose, nonEmptyString } from './common.js';

/** New (issue 5): the labelling side of active learning. Legacy ALM exposed only health (§7.2). */
export const listSamples = loose({
  status: z.enum(['needs_label', 'ready', 'labeled', 'used']).optional(),
  limit: z.number().int().min(1).max(1000).default(50),
});

export const labelSample = loose({ sample_id: nonEmptyString, label: nonEmptyString });

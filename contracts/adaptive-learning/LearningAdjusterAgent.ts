import { z } from 'zod';
import { loose, nonEmptyString } from './common.js';

/** learning_suite.md §8.2 (MainPC variant). The parameter config keys are checked by the service. */
export const registerParameter = loose({ config: z.record(z.string(), z.unknown()) });

export const adjustParameter = loose({ parameter_name: nonEmptyString, new_value: z.number() });

export const recordPerformance = loose({
  metric_name: nonEmptyString,
  value: z.number(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const optimizeParameters = loose({ metric_name: nonEmptyString });

/** §9 (PC2 variant). */
export const analyzeAgent = loose({ agent: z.string().optional() });
export const applyAdjustment = loose({ agent: z.string().optional(), adjustment: z.record(z.string(), z.unknown()).optional() });

export const adjustmentReplyFields = ['current_value', 'suggested_value', 'correlation', 'confidence'] as const;
export const suggestionReplyFields = ['type', 'severity', 'message', 'adjustment'] as const;

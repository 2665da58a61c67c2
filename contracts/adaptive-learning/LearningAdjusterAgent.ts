import { z } from 'zod';
import { nonEmpty, required } from '../agentChecked.js';
import { JSON_KEY } from '../../src/runtime/contractSchema.js';
import { PARAMETER_TYPES } from '../../src/suites/adaptive-learning/ParameterAdjuster.js';
import { loose, nonEmptyString } from './common.js';

/** learning_suite.md §8.2 (MainPC variant). The parameter config keys are checked by the service. */
export const registerParameter = loose({
  config: z.record(z.string(), z.unknown()).meta({
    [JSON_KEY]: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1 },
        type: { enum: [...PARAMETER_TYPES] },
        min_value: { type: 'number' },
        max_value: { type: 'number' },
        current_value: { type: 'number', description: 'within [min_value, max_value]' },
        step_size: { type: 'number', exclusiveMinimum: 0 },
        description: { type: 'string' },
        metadata: { type: 'object' },
      },
      required: ['name', 'type', 'min_value', 'max_value', 'current_value', 'step_size', 'description'],
      additionalProperties: false,
    },
  }),
});

export const adjustParameter = loose({ parameter_name: nonEmptyString, new_value: z.number() });

export const recordPerformance = loose({
  metric_name: nonEmptyString,
  value: z.number(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const optimizeParameters = loose({ metric_name: nonEmptyString });

/** §9 (PC2 variant). */
export const analyzeAgent = loose({ agent: required(z.string().optional(), nonEmpty) });
export const applyAdjustment = loose({
  agent: required(z.string().optional(), nonEmpty),
  adjustment: required(z.record(z.string(), z.unknown()).optional(), { minProperties: 1 }),
});

export const adjustmentReplyFields = ['current_value', 'suggested_value', 'correlation', 'confidence'] as const;
export const suggestionReplyFields = ['type', 'severity', 'message', 'adjustment'] as const;

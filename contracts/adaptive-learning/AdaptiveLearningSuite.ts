import { z } from 'zod';
import { success } from '../replies.js';
import { JSON_KEY } from '../../src/runtime/contractSchema.js';
import { loose } from './common.js';

/** The namespaced API of the phase-2 plan (`/training/`, `/opportunities/`, `/evaluate/performance`) as actions. */
export const trainingStart = loose({
  job_id: z.string().min(1).optional(),
  cycle_id: z.string().min(1).optional(),
  model_id: z.string().min(1).optional(),
  data_path: z.string().min(1).optional(),
  examples: z
    .array(z.unknown().meta({ [JSON_KEY]: { type: ['string', 'object'] } }))
    .min(1)
    .optional()
    .describe('training texts: strings, or objects with `text`, `prompt`/`completion`, `input`/`output` or `user_input`/`assistant_response` (a `user_correction` wins)'),
  hyperparameters: z.record(z.string(), z.unknown()).optional(),
  priority: z.number().int().optional(),
  gpu: z.union([z.string(), z.number()]).optional(),
  trainer: z.string().min(1).optional(),
});

export const trainingStop = loose({ job_id: z.string().min(1).optional(), cycle_id: z.string().min(1).optional() });

export const trainingStatus = loose({
  job_id: z.string().min(1).optional(),
  cycle_id: z.string().min(1).optional(),
  state: z.enum(['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']).optional(),
  limit: z.number().int().min(1).max(1000).default(50),
});

export const opportunitiesList = loose({
  category: z.string().optional(),
  limit: z.number().int().min(1).max(1000).default(10),
  include_processed: z.boolean().default(true),
});

const interaction = z.object({ user_input: z.string(), assistant_response: z.string() }).passthrough();

export const opportunitiesIngest = loose({
  interaction: z.record(z.string(), z.unknown()).optional(),
  interactions: z.array(z.record(z.string(), z.unknown())).max(1000).optional(),
  user_input: z.string().optional(),
  assistant_response: z.string().optional(),
});
export { interaction as interactionSchema };

export const evaluatePerformance = loose({
  metric_name: z.string().min(1).default('final_loss'),
  model_id: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(1000).default(20),
});

export const opportunitiesImportMemory = loose({
  limit: z.number().int().min(1).max(10_000).default(500),
  time_window: z.number().min(0).max(24 * 365).default(24),
});

// Replies (published as `<action>.reply`; checked against every reply under NODE_ENV=test).
const jobState = z.enum(['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
const job = z.looseObject({
  job_id: z.string(),
  model_id: z.string(),
  state: jobState,
  priority: z.number(),
  gpu: z.string().nullable(),
  trainer: z.string(),
  progress: z.record(z.string(), z.unknown()).nullable(),
  initial_loss: z.number().nullable(),
  final_loss: z.number().nullable(),
  error: z.string().nullable(),
  artifacts: z.record(z.string(), z.unknown()),
  waiting_for: z.string().nullable(),
});
/** training.start / training.stop: what was started or stopped, and its state now. */
const started = success({ job_id: z.string().nullish(), cycle_id: z.string().optional(), state: z.string().optional(), resumed: z.boolean().optional() });
export const trainingStartReply = started;
export const trainingStopReply = started;
export const trainingStatusReply = success({
  job: job.nullish().describe('with job_id or cycle_id'),
  cycle: z.record(z.string(), z.unknown()).optional().describe('with cycle_id'),
  jobs: z.array(job).optional().describe('without job_id / cycle_id: the job list'),
  queue: z.array(z.string()).optional(),
  running: z.array(z.string()).optional(),
  device: z.enum(['gpu', 'cpu']).optional(),
  gpu_present: z.boolean().optional(),
  gpus: z.array(z.string()).optional().describe('configured GPUs; empty on a host without a GPU'),
  training_slots: z.array(z.string()).optional(),
});
export const opportunitiesListReply = success({ opportunities: z.array(z.looseObject({ id: z.string(), score: z.number(), category: z.string() })) });

import { z } from 'zod';
import { JSON_KEY } from '../../src/runtime/contractSchema.js';
import { loose, nonEmptyString } from './common.js';

/** learning_suite.md §3.2. `config` is stored verbatim (any JSON); hyper-parameters in it are validated. */
export const createJob = loose({
  model_id: nonEmptyString,
  config: z
    .unknown()
    .refine((v) => v !== undefined, { message: 'Required' })
    .meta({ [JSON_KEY]: { description: 'stored verbatim (any JSON); a `hyperparameters` object in it is validated, and `data_path` / `data_source` / `examples` / `model_path` name what to train' } }),
  priority: z.number().int().optional(),
});

export const startJob = loose({ job_id: nonEmptyString });

export const getJobStatus = loose({ job_id: z.string().optional(), cycle_id: z.string().optional() });

/** ActiveLearningMonitor's request (§7.4, §11): create + start a job, reply `status: "started"`. */
export const triggerFinetune = loose({
  data_source: z.string().min(1).optional(),
  model_to_tune: z.string().min(1).default('current_model'),
  parameters: z.record(z.string(), z.unknown()).default({}),
});

export const jobReplyFields = ['id', 'model_id', 'status', 'start_time', 'end_time', 'error', 'metrics', 'artifacts'] as const;

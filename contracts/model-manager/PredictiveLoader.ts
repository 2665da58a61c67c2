import { z } from 'zod';
import { idField } from './common.js';

/** PredictiveLoader (legacy 5617), model_manager.md §4.2, plus the suite's preload_models (§10). */
export const recordUsage = z.looseObject({ model_id: idField });
export const predictModels = z.looseObject({ top_n: z.coerce.number().int().positive().max(100).nullish() });
export const preloadModels = z.looseObject({ model_ids: z.array(z.string()).nullish() });
export const healthCheck = z.looseObject({});

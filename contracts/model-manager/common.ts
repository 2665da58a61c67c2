import { z } from 'zod';

/** Pieces shared by the model-manager contracts. */
export const optStr = z.string().optional();
/** An id field some clients send as a number; kept as text. */
export const idField = z.union([z.string(), z.number()]).transform(String).optional();
/** Largest max_tokens accepted at all; the model's context size is checked at run time. */
export const MAX_TOKENS_CAP = 100_000;

/** `stop` as one string or a list; null/absent → undefined. */
export const stopField = z
  .union([z.string(), z.array(z.string())])
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : Array.isArray(v) ? v : [v]));

/** Sampling fields; explicit nulls mean "use the default" (legacy passed them through, §2.8 #6). */
export const samplingFields = {
  max_tokens: z.coerce.number().int().min(1).max(MAX_TOKENS_CAP).nullish(),
  temperature: z.coerce.number().min(0).max(5).nullish(),
  top_p: z.coerce.number().gt(0).max(1).nullish(),
  top_k: z.coerce.number().int().min(0).nullish(),
  seed: z.coerce.number().int().min(0).nullish(),
  stop: stopField,
  /** GBNF grammar text constraining the output. */
  grammar: z.string().min(1).nullish(),
  /** JSON schema the output must follow. */
  json_schema: z.record(z.string(), z.unknown()).nullish(),
};

export const sampling = z.looseObject(samplingFields);
export type Sampling = z.output<typeof sampling>;

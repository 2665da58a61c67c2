import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from './trainers/Trainer.js';

export class InvalidHyperparametersError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid hyper-parameters: ${problems.join('; ')}`);
    this.name = 'InvalidHyperparametersError';
  }
}

type Rule = { keys: string[]; field: keyof Hyperparameters; kind: 'int' | 'float' | 'list'; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean };

// Accepted spellings: ours, PEFT/transformers names (what legacy configs carried, e.g. `r`, `lora_alpha`).
const RULES: Rule[] = [
  { keys: ['rank', 'r', 'lora_r'], field: 'rank', kind: 'int', min: 1, max: 1024 },
  { keys: ['alpha', 'lora_alpha'], field: 'alpha', kind: 'float', min: 0, minExclusive: true },
  { keys: ['dropout', 'lora_dropout'], field: 'dropout', kind: 'float', min: 0, max: 1, maxExclusive: true },
  { keys: ['target_modules', 'targetModules'], field: 'targetModules', kind: 'list' },
  { keys: ['steps', 'max_steps'], field: 'steps', kind: 'int', min: 1, max: 10_000_000 },
  { keys: ['learning_rate', 'learningRate', 'lr'], field: 'learningRate', kind: 'float', min: 0, max: 1, minExclusive: true },
  { keys: ['batch_size', 'per_device_train_batch_size', 'batchSize'], field: 'batchSize', kind: 'int', min: 1, max: 4096 },
  { keys: ['gradient_accumulation', 'gradient_accumulation_steps', 'gradientAccumulation'], field: 'gradientAccumulation', kind: 'int', min: 1, max: 4096 },
  { keys: ['warmup_steps', 'warmupSteps'], field: 'warmupSteps', kind: 'int', min: 0 },
  { keys: ['max_grad_norm', 'maxGradNorm'], field: 'maxGradNorm', kind: 'float', min: 0, minExclusive: true },
  { keys: ['weight_decay', 'weightDecay'], field: 'weightDecay', kind: 'float', min: 0, max: 1 },
  { keys: ['seq_len', 'max_seq_length', 'seqLen'], field: 'seqLen', kind: 'int', min: 2, max: 1_048_576 },
  { keys: ['seed'], field: 'seed', kind: 'int', min: 0 },
  { keys: ['checkpoint_every', 'save_steps', 'checkpointEvery'], field: 'checkpointEvery', kind: 'int', min: 1 },
  { keys: ['threads', 'num_threads'], field: 'threads', kind: 'int', min: 1, max: 1024 },
];

/**
 * Reads the hyper-parameters out of a free-form job config (LFT stores `config` verbatim) and the
 * `hyperparameters`/`parameters` sub-objects LOS and ALM send. Unknown keys are ignored; a known key
 * with a bad value is an error listing every problem. `epochs` becomes a step count once the data
 * set size is known.
 */
export function parseHyperparameters(config: unknown, defaults: Partial<Hyperparameters> = {}): { hyper: Hyperparameters; epochs?: number } {
  const hyper: Hyperparameters = { ...DEFAULT_HYPERPARAMETERS, ...defaults, targetModules: [...(defaults.targetModules ?? DEFAULT_HYPERPARAMETERS.targetModules)] };
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return { hyper };
  const c = config as Record<string, unknown>;
  const view: Record<string, unknown> = {
    ...(isObj(c.parameters) ? c.parameters : {}),
    ...(isObj(c.hyperparameters) ? c.hyperparameters : {}),
    ...c,
  };
  const problems: string[] = [];
  for (const rule of RULES) {
    const key = rule.keys.find((k) => view[k] !== undefined && view[k] !== null);
    if (!key) continue;
    const v = view[key];
    if (rule.kind === 'list') {
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x)) problems.push(`${key} must be a non-empty list of module names`);
      else (hyper as unknown as Record<string, unknown>)[rule.field] = v;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || (rule.kind === 'int' && !Number.isInteger(v))) {
      problems.push(`${key} must be ${rule.kind === 'int' ? 'an integer' : 'a number'} (got ${JSON.stringify(v)})`);
      continue;
    }
    if (rule.min !== undefined && (rule.minExclusive ? v <= rule.min : v < rule.min)) problems.push(`${key} must be ${rule.minExclusive ? '>' : '≥'} ${rule.min} (got ${v})`);
    else if (rule.max !== undefined && (rule.maxExclusive ? v >= rule.max : v > rule.max)) problems.push(`${key} must be ${rule.maxExclusive ? '<' : '≤'} ${rule.max} (got ${v})`);
    else (hyper as unknown as Record<string, unknown>)[rule.field] = v;
  }
  let epochs: number | undefined;
  if (view.epochs !== undefined && view.steps === undefined && view.max_steps === undefined) {
    const e = view.epochs;
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 1 || e > 1000) problems.push(`epochs must be an integer in 1..1000 (got ${JSON.stringify(e)})`);
    else epochs = e;
  }
  if (problems.length) throw new InvalidHyperparametersError(problems);
  return { hyper, epochs };
}

/** Steps for `epochs` passes over `examples` samples at the effective batch size. */
export function stepsForEpochs(epochs: number, examples: number, h: Hyperparameters): number {
  return Math.max(1, Math.ceil((epochs * Math.max(1, examples)) / (h.batchSize * h.gradientAccumulation)));
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

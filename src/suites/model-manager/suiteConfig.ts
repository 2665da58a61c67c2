import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { REPO_ROOT } from '../../runtime/sourceLayout.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const DEFAULT_MODELS_FILE = join(REPO_ROOT, 'startup_config', 'models.yaml');

const num = z.coerce.number();

/**
 * One registry entry. New names (`path`, `context_size`, `gpu_layers`, `threads`) and the legacy
 * GGUF names (`model_path`, `n_ctx`/`context_length`, `n_gpu_layers`, `n_threads`) are both accepted
 * (model_manager.md §2.3).
 */
const modelEntrySchema = z
  .object({
    id: z.string().min(1).optional(),
    model_id: z.string().min(1).optional(),
    display_name: z.string().optional(),
    path: z.string().min(1).optional(),
    model_path: z.string().min(1).optional(),
    context_size: num.int().positive().optional(),
    context_length: num.int().positive().optional(),
    n_ctx: num.int().positive().optional(),
    /** -1 = all layers on the GPU (legacy meaning); 0 = CPU only. */
    gpu_layers: num.int().optional(),
    n_gpu_layers: num.int().optional(),
    threads: num.int().positive().optional(),
    n_threads: num.int().positive().optional(),
    /** Parallel sequences of the model's context (conversations + one-shot generations). */
    sequences: num.int().min(1).max(64).default(4),
    /** Lower number = more important (legacy: high 1, medium 2, low 3, default 5). */
    priority: num.int().default(5),
    pinned: z.boolean().default(false),
    idle_timeout_seconds: num.nonnegative().default(300),
    /** Overrides node-llama-cpp's estimate (MiB). */
    estimated_vram_mb: num.nonnegative().optional(),
    capabilities: z.array(z.string()).default(['text-generation']),
    lora_adapters: z.array(z.object({ path: z.string().min(1), scale: num.default(1) })).default([]),
    verbose: z.boolean().default(false),
  })
  .refine((m) => m.id ?? m.model_id ?? m.display_name, { message: 'every model needs an id' })
  .refine((m) => m.path ?? m.model_path, { message: 'every model needs a path' });

export type RawModelEntry = z.infer<typeof modelEntrySchema>;

export const modelManagerConfigSchema = z.object({
  /**
   * When node-llama-cpp is imported and llama.cpp initialised: 'first_use' (default: the first
   * model load or metadata read pays about a second, start-up does not) or 'start' (during start).
   */
  llama_init: z.enum(['first_use', 'start']).default('first_use'),
  /** 'auto' picks CUDA/Vulkan/Metal when present; false forces the CPU backend. */
  gpu: z.union([z.literal('auto'), z.literal(false), z.literal('cuda'), z.literal('vulkan'), z.literal('metal')]).default('auto'),
  models: z.array(modelEntrySchema).optional(),
  models_file: z.string().optional(),
  /** Base folder for relative model paths (default: the repository root). */
  models_dir: z.string().optional(),
  /**
   * Extra folders that paths in requests (models.register `path` / `lora_adapters`) may point
   * into, besides models_dir, the folders of configured models and the data root.
   */
  allowed_paths: z.array(z.string().min(1)).optional(),
  load_policy: z.record(z.string(), z.string()).optional(),
  budget: z
    .object({
      /** Share of measured VRAM (RAM on CPU) the suite may use; legacy vram_budget_percentage 80. */
      fraction: num.gt(0).max(1).default(0.8),
      /** Fixed budget in MiB; wins over fraction. */
      mb: num.positive().optional(),
    })
    .default({ fraction: 0.8 }),
  idle_check_interval_ms: num.int().positive().default(5000),
  conversations: z
    .object({ max: num.int().positive().default(50), timeout_seconds: num.positive().default(3600) })
    .default({ max: 50, timeout_seconds: 3600 }),
  gpu_lock: z
    .object({
      dir: z.string().optional(),
      timeout_ms: num.int().nonnegative().default(0),
      /**
       * 'auto': claim only when the budget measures a GPU (on CPU there is no card to share, and a
       * claim would block AdaptiveLearningSuite's exclusive training claims for nothing);
       * 'always': claim on CPU too (tests, or to serialise with training on a CPU-only host); 'off'.
       */
      mode: z.enum(['auto', 'always', 'off']).default('auto'),
    })
    .default({ timeout_ms: 0, mode: 'auto' }),
  resource_manager: z
    .object({ endpoint: z.string().optional(), timeout_ms: num.int().positive().default(5000) })
    .default({ timeout_ms: 5000 }),
  prediction: z
    .object({
      window_seconds: num.positive().default(3600),
      interval_seconds: num.positive().default(60),
      top_n: num.int().positive().default(3),
      auto_preload: z.boolean().default(false),
      history_days: num.positive().default(14),
    })
    .default({ window_seconds: 3600, interval_seconds: 60, top_n: 3, auto_preload: false, history_days: 14 }),
  /** Per-request timeout of generation/evaluation actions (ms). */
  generation_timeout_ms: num.int().positive().default(120_000),
  load_timeout_ms: num.int().positive().default(120_000),
});

export type ModelManagerConfig = z.infer<typeof modelManagerConfigSchema>;

export interface ModelSpec {
  id: string;
  displayName: string;
  /** Absolute path of the GGUF file. */
  path: string;
  /** Path as written in the config (for list_models' model_path). */
  configuredPath: string;
  contextSize: number;
  /** -1 = all layers. */
  gpuLayers: number;
  threads: number;
  sequences: number;
  priority: number;
  pinned: boolean;
  idleTimeoutSeconds: number;
  estimatedVramMb?: number;
  capabilities: string[];
  loraAdapters: Array<{ path: string; scale: number }>;
  verbose: boolean;
}

/** Threads default: half the cores, at most 4 (llama.cpp spins; more threads than cores is slow). */
export function defaultThreads(cores: number): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

export function toModelSpec(m: RawModelEntry, baseDir: string, cores: number): ModelSpec {
  const id = (m.id ?? m.model_id ?? m.display_name)!;
  const configuredPath = (m.path ?? m.model_path)!;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    id,
    displayName: m.display_name ?? id,
    path: abs(configuredPath),
    configuredPath,
    contextSize: m.context_size ?? m.n_ctx ?? m.context_length ?? 2048,
    gpuLayers: m.gpu_layers ?? m.n_gpu_layers ?? -1,
    threads: m.threads ?? m.n_threads ?? defaultThreads(cores),
    sequences: m.sequences,
    priority: m.priority,
    pinned: m.pinned,
    idleTimeoutSeconds: m.idle_timeout_seconds,
    estimatedVramMb: m.estimated_vram_mb,
    capabilities: m.capabilities,
    loraAdapters: m.lora_adapters.map((a) => ({ path: abs(a.path), scale: a.scale })),
    verbose: m.verbose,
  };
}

export interface ResolvedConfig {
  config: ModelManagerConfig;
  models: ModelSpec[];
  loadPolicy: Record<string, string>;
}

/** Validates the suite config; the registry comes from `models:` or else the models YAML file. */
export function resolveConfig(raw: Readonly<Record<string, unknown>>, cores: number): ResolvedConfig {
  const parsed = modelManagerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`ModelManagerSuite config is invalid: ${lines.join('; ')}`);
  }
  const config = parsed.data;
  let entries = config.models;
  let policy = config.load_policy;
  if (!entries) {
    const file = config.models_file ? resolve(REPO_ROOT, config.models_file) : DEFAULT_MODELS_FILE;
    if (existsSync(file)) {
      const doc = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
      const fileParsed = z
        .object({ models: z.array(modelEntrySchema).default([]), load_policy: z.record(z.string(), z.string()).optional() })
        .safeParse(doc);
      if (!fileParsed.success) {
        const lines = fileParsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
        throw new Error(`${file} is invalid: ${lines.join('; ')}`);
      }
      entries = fileParsed.data.models;
      policy ??= fileParsed.data.load_policy;
    } else if (config.models_file) {
      throw new Error(`models_file ${file} does not exist`);
    }
  }
  const baseDir = config.models_dir ? resolve(REPO_ROOT, config.models_dir) : REPO_ROOT;
  const models = (entries ?? []).map((m) => toModelSpec(m, baseDir, cores));
  const seen = new Set<string>();
  for (const m of models) {
    if (seen.has(m.id)) throw new Error(`ModelManagerSuite config: model id ${m.id} appears twice`);
    seen.add(m.id);
  }
  const loadPolicy: Record<string, string> = { ...(policy ?? {}) };
  if (!loadPolicy.fast && models[0]) loadPolicy.fast = models[0].id;
  if (!loadPolicy.fallback && loadPolicy.fast) loadPolicy.fallback = loadPolicy.fast;
  return { config, models, loadPolicy };
}

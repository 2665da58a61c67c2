import { isModelError, errorText } from './ModelError.js';
import type { ModelMetadata } from './ModelRegistry.js';
import type { ModelManagerServices } from './services.js';
import type { ModelSpec } from './suiteConfig.js';

/** Registry status vocabulary of legacy MMA (§3.10) that applies to local GGUF models. */
export type ModelState = 'online' | 'available_not_loaded' | 'error';

export interface ModelFacts {
  spec: ModelSpec;
  loaded: boolean;
  state: ModelState;
  /** MiB the budget charges (estimate or configured), 0 when the file cannot be read. */
  estimatedMb: number;
  metadata?: ModelMetadata;
  problem?: string;
}

/** Everything the status/list views need about one model; never throws. */
export async function modelFacts(svc: ModelManagerServices, spec: ModelSpec): Promise<ModelFacts> {
  const loaded = svc.lifecycle.isLoaded(spec.id);
  try {
    const metadata = await svc.registry.metadata(spec.id);
    const estimatedMb = svc.lifecycle.chargeOf(spec.id) ?? (await svc.registry.chargeMb(spec.id));
    return { spec, loaded, state: loaded ? 'online' : 'available_not_loaded', estimatedMb, metadata };
  } catch (err) {
    const problem = isModelError(err) ? err.message : errorText(err);
    return { spec, loaded, state: loaded ? 'online' : 'error', estimatedMb: svc.lifecycle.chargeOf(spec.id) ?? 0, problem };
  }
}

export async function allFacts(svc: ModelManagerServices): Promise<ModelFacts[]> {
  return Promise.all(svc.registry.list().map((s) => modelFacts(svc, s)));
}

/** GGUF metadata summary used in several replies. */
export function metadataView(m?: ModelMetadata): Record<string, unknown> | undefined {
  if (!m) return undefined;
  return {
    architecture: m.architecture,
    name: m.name,
    parameters: m.parameters,
    quantization: m.quantization,
    context_length: m.contextLength,
    embedding_length: m.embeddingLength,
    block_count: m.blockCount,
    file_size_bytes: m.fileSizeBytes,
    estimated_gpu_vram_mb: m.estimate.gpuVramMb,
    estimated_cpu_ram_mb: m.estimate.cpuRamMb,
    budget_device: m.budgetDevice,
  };
}

/** MMA-style model_info (§3.10 registry entry fields that apply to GGUF models). */
export function modelInfo(f: ModelFacts): Record<string, unknown> {
  return {
    display_name: f.spec.displayName,
    serving_method: 'gguf_direct',
    capabilities: f.spec.capabilities,
    status: f.state,
    estimated_vram_mb: f.estimatedMb,
    context_length: f.spec.contextSize,
    idle_timeout_seconds: f.spec.idleTimeoutSeconds,
    priority: f.spec.priority,
    pinned: f.spec.pinned,
    model_path: f.spec.configuredPath,
    ...(f.metadata ? { gguf: metadataView(f.metadata) } : {}),
    ...(f.problem ? { error: f.problem } : {}),
  };
}

/** Loaded-model map of GET_LOADED_MODELS_STATUS (§3.7); quantization comes from the GGUF file. */
export async function loadedModelsMap(svc: ModelManagerServices): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const id of svc.lifecycle.loadedIds()) {
    const m = svc.lifecycle.get(id);
    if (!m) continue;
    const meta = await svc.registry.metadata(id).catch(() => undefined);
    out[id] = {
      vram_usage_mb: svc.lifecycle.chargeOf(id) ?? 0,
      measured_mb: m.measuredMb,
      device: 'MainPC',
      last_used: m.lastUsed / 1000,
      is_active: m.inUse,
      quantization: meta?.quantization ?? 'unknown',
    };
  }
  return out;
}

/**
 * Model choice for SELECT_MODEL / select_model (§3.10): capable models (by task_type in
 * capabilities, all when none match), with enough context (else the single largest); prefer a
 * loaded one (smallest first), then one that fits the free budget, then the first candidate.
 */
export async function selectModel(
  svc: ModelManagerServices,
  taskType: string | undefined,
  contextSize: number | undefined,
): Promise<ModelFacts | undefined> {
  const facts = await allFacts(svc);
  if (facts.length === 0) return undefined;
  let pool = taskType ? facts.filter((f) => f.spec.capabilities.includes(taskType)) : facts;
  if (pool.length === 0) pool = facts;
  if (contextSize) {
    const big = pool.filter((f) => f.spec.contextSize >= contextSize);
    pool = big.length ? big : [pool.reduce((a, b) => (b.spec.contextSize > a.spec.contextSize ? b : a))];
  }
  const online = pool.filter((f) => f.loaded).sort((a, b) => a.estimatedMb - b.estimatedMb);
  if (online[0]) {
    const m = svc.lifecycle.get(online[0].spec.id);
    if (m) m.lastUsed = Date.now();
    return online[0];
  }
  for (const f of pool.filter((x) => x.state === 'available_not_loaded')) {
    if (await svc.lifecycle.fitsWithoutEviction(f.spec.id).catch(() => false)) return f;
  }
  return pool[0];
}

/** load_policy lookup: the preference, else `fast` (legacy fallback), else undefined. */
export function resolvePreference(svc: ModelManagerServices, pref: string): string | undefined {
  return svc.loadPolicy[pref] ?? svc.loadPolicy.fast;
}

/** Budget numbers for status replies. */
export async function budgetView(svc: ModelManagerServices): Promise<{ total_budget_mb: number; used_mb: number; remaining_mb: number; device: string }> {
  const cap = await svc.lifecycle.capacityMb();
  const used = svc.lifecycle.usedMb();
  return { total_budget_mb: cap.mb, used_mb: used, remaining_mb: Math.max(0, cap.mb - used), device: cap.device };
}

import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { confinePath, PathNotAllowedError } from '../../stores/paths/confinePath.js';
import type { Logger } from '../../runtime/logger.js';
import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import { openGguf } from '../../gguf/readGguf.js';
import { ModelError, errorText } from './ModelError.js';
import type { ModelLifecycle } from './ModelLifecycle.js';
import type { ModelRegistry } from './ModelRegistry.js';
import { defaultThreads, type ModelSpec } from './suiteConfig.js';

export interface AdapterRef {
  path: string;
  scale: number;
}

/** What `models.register` asks for; exactly one of baseModelId / path. */
export interface RegisterRequest {
  modelId: string;
  baseModelId?: string;
  path?: string;
  loraAdapters: AdapterRef[];
  options: RegisterOptions;
  source?: string;
}

export interface RegisterOptions {
  context_size?: number;
  priority?: number;
  pinned?: boolean;
  display_name?: string;
  threads?: number;
  gpu_layers?: number;
  sequences?: number;
  idle_timeout_seconds?: number;
}

export interface RegistrationView {
  model_id: string;
  base_model_id: string | null;
  path: string | null;
  lora_adapters: AdapterRef[];
  options: RegisterOptions;
  source: string | null;
  created_at: string;
}

interface Row {
  model_id: string;
  base_model_id: string | null;
  path: string | null;
  lora_adapters: string;
  options: string;
  source: string | null;
  created_at: string;
}

/**
 * Run-time additions to the model registry (`models.register` / `models.unregister`), kept in the
 * suite's SQLite so they come back after a restart. Typical use: AdaptiveLearningSuite registers a
 * trained LoRA adapter on top of a configured base model; generation and evaluation on the new id
 * then load the base weights with that adapter applied. Models from the configuration cannot be
 * unregistered here.
 */
export class ModelRegistrations {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly registry: ModelRegistry,
    private readonly lifecycle: ModelLifecycle,
    /** `allowedRoots`: folders request paths must stay in (models_dir, configured models' folders, data root, allowed_paths). */
    private readonly o: { baseDir: string; allowedRoots: readonly string[]; cores: number; log: Logger },
  ) {}

  isRegistered(id: string): boolean {
    return this.row(id) !== undefined;
  }

  get(id: string): RegistrationView | undefined {
    const r = this.row(id);
    return r ? view(r) : undefined;
  }

  list(): RegistrationView[] {
    return (this.db.prepare('SELECT * FROM registered_models ORDER BY created_at, model_id').all() as Row[]).map(view);
  }

  /**
   * Puts the stored registrations back into the registry (start-up). An entry whose base model is
   * no longer configured is skipped with a warning and kept, so it returns with its base.
   */
  restore(): { restored: string[]; skipped: Array<{ model_id: string; reason: string }> } {
    const restored: string[] = [];
    const skipped: Array<{ model_id: string; reason: string }> = [];
    for (const r of this.list()) {
      try {
        if (this.registry.has(r.model_id)) throw new Error('the configuration now defines a model with this id');
        this.registry.add(this.buildSpec(r.model_id, r.base_model_id ?? undefined, r.path ?? undefined, r.lora_adapters, r.options));
        restored.push(r.model_id);
      } catch (err) {
        skipped.push({ model_id: r.model_id, reason: errorText(err) });
        this.o.log.warn({ model_id: r.model_id, err: errorText(err) }, 'registered model not restored');
      }
    }
    return { restored, skipped };
  }

  /** Validates the files, adds the model to the registry and stores it; idempotent for an identical request. */
  async register(req: RegisterRequest): Promise<{ spec: ModelSpec; alreadyRegistered: boolean }> {
    const { modelId } = req;
    if ((req.baseModelId === undefined) === (req.path === undefined)) {
      throw new ModelError('BAD_PARAMS', 'models.register needs exactly one of base_model_id or path', { model_id: modelId });
    }
    const adapters = req.loraAdapters.map((a) => ({ path: this.confined(a.path, 'lora_adapters path'), scale: a.scale }));
    const path = req.path !== undefined ? this.confined(req.path, 'path') : undefined;
    const existing = this.row(modelId);
    if (existing) {
      const same =
        existing.base_model_id === (req.baseModelId ?? null) &&
        existing.path === (path ?? null) &&
        existing.lora_adapters === JSON.stringify(adapters) &&
        existing.options === JSON.stringify(req.options);
      if (same && this.registry.has(modelId)) return { spec: this.registry.require(modelId), alreadyRegistered: true };
      throw new ModelError('MODEL_EXISTS', `model ${modelId} is already registered (with different settings); unregister it first`, { model_id: modelId });
    }
    if (this.registry.has(modelId)) {
      throw new ModelError('MODEL_EXISTS', `model ${modelId} already exists in the configured registry`, { model_id: modelId });
    }
    let baseFile: string;
    if (req.baseModelId !== undefined) {
      const base = this.registry.require(req.baseModelId);
      await this.registry.fileStat(base);
      baseFile = base.path;
    } else {
      baseFile = path!;
      await readable(baseFile, 'MODEL_FILE_MISSING', `model file for ${modelId}`);
    }
    const baseArch = ggufHeader(baseFile, 'CORRUPT_MODEL', `model file ${baseFile}`, (meta) => {
      if (meta['general.type'] === 'adapter') throw new Error('it is a LoRA adapter, not a model (pass it in lora_adapters)');
    });
    for (const a of adapters) {
      if (!Number.isFinite(a.scale)) throw new ModelError('BAD_ADAPTER', `LoRA adapter ${a.path}: scale must be a finite number`, { path: a.path });
      await readable(a.path, 'MODEL_FILE_MISSING', 'LoRA adapter file');
      const arch = ggufHeader(a.path, 'BAD_ADAPTER', `LoRA adapter ${a.path}`, (meta) => {
        if (meta['general.type'] !== 'adapter') throw new Error(`general.type is ${JSON.stringify(meta['general.type'] ?? null)}, not "adapter"`);
        if (meta['adapter.type'] !== undefined && meta['adapter.type'] !== 'lora') throw new Error(`adapter.type is ${JSON.stringify(meta['adapter.type'])}, not "lora"`);
      });
      if (arch && baseArch && arch !== baseArch) {
        throw new ModelError('BAD_ADAPTER', `LoRA adapter ${a.path} is for architecture ${arch}, the base model is ${baseArch}`, { path: a.path });
      }
    }
    // Another request may have taken the id while the files were being checked.
    if (this.row(modelId) || this.registry.has(modelId)) {
      throw new ModelError('MODEL_EXISTS', `model ${modelId} was registered by a concurrent request`, { model_id: modelId });
    }
    const spec = this.buildSpec(modelId, req.baseModelId, path, adapters, req.options);
    this.db
      .prepare('INSERT INTO registered_models (model_id, base_model_id, path, lora_adapters, options, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(modelId, req.baseModelId ?? null, path ?? null, JSON.stringify(adapters), JSON.stringify(req.options), req.source ?? null, new Date().toISOString());
    try {
      this.registry.add(spec);
    } catch (err) {
      this.db.prepare('DELETE FROM registered_models WHERE model_id = ?').run(modelId);
      throw err;
    }
    this.o.log.info({ model_id: modelId, base: req.baseModelId ?? path, adapters: adapters.length }, 'model registered');
    return { spec, alreadyRegistered: false };
  }

  /**
   * Removes a registered model. A loaded model is refused unless `force` (then it is unloaded,
   * after in-flight work on it finishes); a model another registration derives from is refused.
   */
  async unregister(modelId: string, force: boolean): Promise<{ unloaded: boolean }> {
    if (!this.row(modelId)) {
      if (this.registry.has(modelId)) {
        throw new ModelError('NOT_REGISTERED', `model ${modelId} comes from the configuration; only models added with models.register can be unregistered`, { model_id: modelId });
      }
      throw new ModelError('UNKNOWN_MODEL', `unknown model ${modelId}`, { model_id: modelId });
    }
    const dependents = (this.db.prepare('SELECT model_id FROM registered_models WHERE base_model_id = ?').all(modelId) as Array<{ model_id: string }>).map((r) => r.model_id);
    if (dependents.length) {
      throw new ModelError('MODEL_IN_USE', `model ${modelId} is the base of ${dependents.join(', ')}; unregister those first`, { model_id: modelId, dependents });
    }
    const loaded = this.lifecycle.get(modelId);
    if (loaded && !force) {
      throw new ModelError('MODEL_IN_USE', `model ${modelId} is ${loaded.inUse ? 'busy' : 'loaded'}; unload it first or pass force: true`, {
        model_id: modelId,
        loaded: true,
        busy: loaded.inUse,
      });
    }
    this.db.prepare('DELETE FROM registered_models WHERE model_id = ?').run(modelId);
    this.registry.remove(modelId);
    const unloaded = loaded ? await this.lifecycle.unload(modelId) : false;
    this.o.log.info({ model_id: modelId, unloaded }, 'model unregistered');
    return { unloaded };
  }

  private buildSpec(id: string, baseId: string | undefined, path: string | undefined, adapters: AdapterRef[], opt: RegisterOptions): ModelSpec {
    const base = baseId !== undefined ? this.registry.require(baseId) : undefined;
    const file = base?.path ?? path!;
    return {
      id,
      displayName: opt.display_name ?? id,
      path: file,
      configuredPath: base?.configuredPath ?? file,
      contextSize: opt.context_size ?? base?.contextSize ?? 2048,
      gpuLayers: opt.gpu_layers ?? base?.gpuLayers ?? -1,
      threads: opt.threads ?? base?.threads ?? defaultThreads(this.o.cores),
      sequences: opt.sequences ?? base?.sequences ?? 4,
      priority: opt.priority ?? base?.priority ?? 5,
      pinned: opt.pinned ?? false,
      idleTimeoutSeconds: opt.idle_timeout_seconds ?? base?.idleTimeoutSeconds ?? 300,
      // The same weights with an adapter cost about the same as the base model.
      estimatedVramMb: base?.estimatedVramMb,
      capabilities: base?.capabilities ?? ['text-generation'],
      loraAdapters: [...(base?.loraAdapters ?? []), ...adapters],
      verbose: base?.verbose ?? false,
    };
  }

  /** A request path resolved from models_dir and confined to the allowed folders (PATH_NOT_ALLOWED otherwise). */
  private confined(p: string, what: string): string {
    try {
      return confinePath(p, this.o.allowedRoots, { what, base: this.o.baseDir });
    } catch (err) {
      if (err instanceof PathNotAllowedError) throw new ModelError('PATH_NOT_ALLOWED', err.message, { path: p, allowed_paths: err.roots });
      throw err;
    }
  }

  private row(id: string): Row | undefined {
    return this.db.prepare('SELECT * FROM registered_models WHERE model_id = ?').get(id) as Row | undefined;
  }
}

function view(r: Row): RegistrationView {
  return {
    model_id: r.model_id,
    base_model_id: r.base_model_id,
    path: r.path,
    lora_adapters: JSON.parse(r.lora_adapters) as AdapterRef[],
    options: JSON.parse(r.options) as RegisterOptions,
    source: r.source,
    created_at: r.created_at,
  };
}

/** A readable regular file, or `code` naming it. */
async function readable(path: string, code: 'MODEL_FILE_MISSING', what: string): Promise<void> {
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a regular file');
    await access(path, constants.R_OK);
  } catch (err) {
    throw new ModelError(code, `${what} ${path} is missing or unreadable (${errorText(err)})`, { path });
  }
}

/** Reads only the GGUF header, runs `check` on its metadata, and returns general.architecture. */
function ggufHeader(path: string, code: 'CORRUPT_MODEL' | 'BAD_ADAPTER', what: string, check: (meta: Record<string, unknown>) => void): string | undefined {
  let file;
  try {
    file = openGguf(path);
  } catch (err) {
    throw new ModelError(code, `${what} is not a readable GGUF file: ${errorText(err)}`, { path });
  }
  try {
    check(file.metadata);
    const arch = file.metadata['general.architecture'];
    return typeof arch === 'string' ? arch : undefined;
  } catch (err) {
    throw new ModelError(code, `${what} cannot be used: ${errorText(err)}`, { path });
  } finally {
    file.close();
  }
}

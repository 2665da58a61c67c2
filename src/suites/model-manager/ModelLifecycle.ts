import type { Logger } from '../../runtime/logger.js';
import { GpuBusyError, type GpuLockDirectory, type GpuLockHandle } from '../../stores/locks/GpuLockDirectory.js';
import type { LlamaRuntime, MemoryState } from './LlamaRuntime.js';
import { LoadedModel } from './LoadedModel.js';
import { AsyncMutex, planEviction, type BudgetEntry } from './memoryBudget.js';
import { ModelError, errorText } from './ModelError.js';
import type { ModelRegistry } from './ModelRegistry.js';
import { ResourceDeniedError, type Allocation, type ResourceManagerClient } from '../../peers/ResourceManagerClient.js';

interface Resident {
  model: LoadedModel;
  chargeMb: number;
  lock?: GpuLockHandle;
  allocation?: Allocation;
}

export interface LifecycleOptions {
  registry: ModelRegistry;
  runtime: LlamaRuntime;
  locks: GpuLockDirectory;
  resourceManager?: ResourceManagerClient;
  budget: { fraction: number; mb?: number };
  /** How long a load waits for another process's GPU claim to go away (ms). */
  lockTimeoutMs: number;
  /** When loads take a claim in the lock folder (see suiteConfig gpu_lock.mode). */
  lockMode: 'auto' | 'always' | 'off';
  log: Logger;
  /** Called before a model is unloaded (conversations drop their sequences). */
  beforeUnload?: (id: string) => void;
  /** Called when a model is evicted to make room. */
  onEvict?: (id: string, forId: string) => void;
  /** Called when a configured model cannot be loaded because of its files or llama.cpp (not for client mistakes). */
  onLoadFailure?: (err: ModelError) => void;
}

export interface LoadOptions {
  signal?: AbortSignal;
  /** Never evict anything to make room (predictive preloads). */
  noEviction?: boolean;
}

/**
 * Loads and unloads models within the memory budget. Decisions run under one mutex; a load
 * charges the model's estimate against the budget (measured device memory × fraction, or a fixed
 * MiB), evicts least-recently-used models that are neither pinned, busy nor more important when
 * needed, takes a claim in the shared GPU lock folder (so AdaptiveLearningSuite's training never
 * overcommits the card), optionally asks ResourceManagerSuite, and only then calls node-llama-cpp.
 */
export class ModelLifecycle {
  private readonly resident = new Map<string, Resident>();
  private readonly mutex = new AsyncMutex();
  private capacityCache?: { device: 'gpu' | 'cpu'; mb: number };
  private closed = false;

  constructor(private readonly o: LifecycleOptions) {}

  isLoaded(id: string): boolean {
    return this.resident.has(id);
  }

  get(id: string): LoadedModel | undefined {
    return this.resident.get(id)?.model;
  }

  loadedIds(): string[] {
    return [...this.resident.keys()];
  }

  /** Charged MiB of a loaded model. */
  chargeOf(id: string): number | undefined {
    return this.resident.get(id)?.chargeMb;
  }

  usedMb(): number {
    let s = 0;
    for (const r of this.resident.values()) s += r.chargeMb;
    return s;
  }

  /** Whether llama.cpp is initialised (device figures can be read without initialising it). */
  get llamaLoaded(): boolean {
    return this.o.runtime.loaded;
  }

  /** Budget in MiB: fixed, or the measured total of the budgeted device × fraction. */
  async capacityMb(): Promise<{ device: 'gpu' | 'cpu'; mb: number }> {
    if (this.capacityCache) return this.capacityCache;
    const mem = await this.o.runtime.memoryState();
    this.capacityCache = { device: mem.device, mb: budgetMb(this.o.budget, mem) };
    return this.capacityCache;
  }

  async memoryState(): Promise<MemoryState> {
    return this.o.runtime.memoryState();
  }

  /** Loads a model (no-op when resident); returns it. */
  async load(id: string, opts: LoadOptions = {}): Promise<LoadedModel> {
    const hit = this.resident.get(id);
    if (hit && !hit.model.disposed) {
      hit.model.lastUsed = Date.now();
      return hit.model;
    }
    return this.mutex.run(() => this.loadLocked(id, opts)).catch((err: unknown) => {
      if (err instanceof ModelError && (err.code === 'MODEL_FILE_MISSING' || err.code === 'CORRUPT_MODEL' || err.code === 'LOAD_FAILED')) {
        this.o.onLoadFailure?.(err);
      }
      throw err;
    });
  }

  private async loadLocked(id: string, opts: LoadOptions): Promise<LoadedModel> {
    if (this.closed) throw new ModelError('CLOSED', 'ModelManagerSuite is shutting down');
    const again = this.resident.get(id);
    if (again) return again.model;
    const spec = this.o.registry.require(id);
    await this.o.registry.fileStat(spec);
    await this.o.registry.checkAdapters(spec);
    const chargeMb = await this.o.registry.chargeMb(id);
    const cap = await this.capacityMb();
    const plan = planEviction({
      requiredMb: chargeMb,
      capacityMb: cap.mb,
      loaded: this.budgetEntries(),
      requesterPriority: spec.priority,
    });
    if (!plan.fits || (opts.noEviction && plan.victims.length > 0)) {
      throw new ModelError(
        'INSUFFICIENT_MEMORY',
        `not enough ${cap.device === 'gpu' ? 'VRAM' : 'memory'} budget for ${id}: ${plan.reason ?? `would need to evict ${plan.victims.join(', ')}`}`,
        { model_id: id, required_mb: chargeMb, budget_mb: cap.mb, free_mb: Math.round(plan.freeMb) },
      );
    }
    for (const victim of plan.victims) {
      this.o.log.info({ model_id: victim, for: id }, 'evicting least recently used model to make room');
      this.o.onEvict?.(victim, id);
      await this.unloadLocked(victim);
    }
    let allocation: Allocation | undefined;
    if (this.o.resourceManager) {
      try {
        allocation = await this.o.resourceManager.allocate(id, cap.device, chargeMb);
      } catch (err) {
        if (err instanceof ResourceDeniedError) throw new ModelError('RESOURCE_DENIED', err.message, { model_id: id });
        throw err;
      }
    }
    const claim = this.o.lockMode === 'always' || (this.o.lockMode === 'auto' && cap.device === 'gpu');
    let lock: GpuLockHandle | undefined;
    try {
      if (claim) lock = await this.o.locks.acquire({
        owner: 'ModelManagerSuite',
        vramMb: chargeMb,
        capacityMb: cap.mb,
        timeoutMs: this.o.lockTimeoutMs,
        purpose: `model ${id}`,
        signal: opts.signal,
      });
    } catch (err) {
      await allocation?.release();
      if (err instanceof GpuBusyError) throw new ModelError('GPU_BUSY', err.message, { model_id: id, holders: err.holders });
      throw err;
    }
    try {
      const llama = await this.o.runtime.llama();
      const model = await LoadedModel.create(llama, spec, opts.signal);
      this.resident.set(id, { model, chargeMb, lock, allocation });
      this.o.log.info({ model_id: id, charge_mb: chargeMb, measured_mb: model.measuredMb }, 'model loaded');
      return model;
    } catch (err) {
      lock?.release();
      await allocation?.release();
      throw err instanceof ModelError ? err : new ModelError('LOAD_FAILED', `loading ${id} failed: ${errorText(err)}`, { model_id: id });
    }
  }

  /** Unloads a resident model; false when it was not loaded. Waits for in-flight work on it. */
  async unload(id: string): Promise<boolean> {
    return this.mutex.run(() => this.unloadLocked(id));
  }

  private async unloadLocked(id: string): Promise<boolean> {
    const r = this.resident.get(id);
    if (!r) return false;
    this.resident.delete(id);
    try {
      this.o.beforeUnload?.(id);
    } catch (err) {
      this.o.log.warn({ err: errorText(err), model_id: id }, 'beforeUnload hook failed');
    }
    try {
      await r.model.dispose();
    } finally {
      r.lock?.release();
      await r.allocation?.release();
    }
    this.o.log.info({ model_id: id }, 'model unloaded');
    return true;
  }

  /**
   * Hot swap: replaces `fromId` by `toId` in one critical section, so no other load can take the
   * memory in between. When the new model fails to load, the old one is loaded back (best effort)
   * and the error is rethrown.
   */
  async swap(fromId: string, toId: string, opts: LoadOptions = {}): Promise<LoadedModel> {
    return this.mutex.run(async () => {
      const wasLoaded = await this.unloadLocked(fromId);
      try {
        return await this.loadLocked(toId, opts);
      } catch (err) {
        if (wasLoaded) await this.loadLocked(fromId, {}).catch(() => undefined);
        throw err;
      }
    });
  }

  /** Unloads models idle longer than their idle_timeout_seconds (pinned and busy ones stay). */
  async unloadIdle(now = Date.now()): Promise<string[]> {
    const idle = [...this.resident.values()]
      .filter((r) => !r.model.spec.pinned && !r.model.inUse && r.model.spec.idleTimeoutSeconds > 0)
      .filter((r) => now - r.model.lastUsed >= r.model.spec.idleTimeoutSeconds * 1000)
      .map((r) => r.model.id);
    const done: string[] = [];
    for (const id of idle) {
      const ok = await this.mutex.run(async () => {
        const r = this.resident.get(id);
        if (!r || r.model.inUse || Date.now() - r.model.lastUsed < r.model.spec.idleTimeoutSeconds * 1000) return false;
        return this.unloadLocked(id);
      });
      if (ok) done.push(id);
    }
    return done;
  }

  /** Would `id` fit right now without evicting anything? */
  async fitsWithoutEviction(id: string): Promise<boolean> {
    const chargeMb = await this.o.registry.chargeMb(id);
    const cap = await this.capacityMb();
    return cap.mb - this.usedMb() >= chargeMb;
  }

  private budgetEntries(): BudgetEntry[] {
    return [...this.resident.values()].map((r) => ({
      id: r.model.id,
      mb: r.chargeMb,
      priority: r.model.spec.priority,
      pinned: r.model.spec.pinned,
      inUse: r.model.inUse,
      lastUsed: r.model.lastUsed,
    }));
  }

  /** Unloads everything and refuses further loads. Same promise semantics as other closers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.mutex.run(async () => {
      for (const id of [...this.resident.keys()]) {
        await this.unloadLocked(id).catch((err) => this.o.log.warn({ err: errorText(err), model_id: id }, 'unload on close failed'));
      }
    });
  }
}

/** The suite's budget in MiB: the fixed `mb`, else `fraction` of the measured device. */
export function budgetMb(budget: { mb?: number; fraction: number }, mem: MemoryState): number {
  return budget.mb ?? Math.floor(mem.totalMb * budget.fraction);
}

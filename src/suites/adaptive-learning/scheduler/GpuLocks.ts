import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GpuBusyError, GpuLockDirectory } from '../../../stores/locks/GpuLockDirectory.js';
import { readGpuCapacityRecord } from '../../model-manager/gpuCapacityRecord.js';

/** A held GPU; release() is idempotent. */
export interface GpuLease {
  release(): Promise<void>;
}

/**
 * Use of one GPU across processes. ModelManagerSuite claims the card's memory for every model it
 * loads, so a training job and the models it serves never overcommit the card (issue 5).
 */
export interface GpuLocks {
  /** Takes the GPU's claim if there is room; undefined when there is none. Never waits. */
  tryAcquire(gpu: string, owner: string): Promise<GpuLease | undefined>;
  /** Why `owner`'s last attempt was refused, when the refusal has a reason worth showing. */
  waitReason?(owner: string): string | undefined;
}

/** `auto`: claim only when this host has a GPU; `always`: claim on CPU hosts too; `off`: never. */
export type GpuClaimMode = 'auto' | 'always' | 'off';

/** How a job's claim is sized right now, and why (shown in health). */
export interface ClaimPolicy {
  claim: boolean;
  /** Total MiB all holders may claim together; undefined = exclusive claim. */
  capacityMb?: number;
  source: 'off' | 'config' | 'model-manager-record' | 'no-gpu' | 'exclusive';
}

/** A GPU driver is present on this host (NVIDIA or AMD ROCm device nodes). */
export function hostHasGpu(): boolean {
  return ['/dev/nvidiactl', '/proc/driver/nvidia/version', '/dev/kfd'].some((p) => existsSync(p));
}

const NO_CLAIM: GpuLease = { release: async () => undefined };

/**
 * GPU claims in the folder ModelManagerSuite uses (src/stores/locks/GpuLockDirectory.ts). GPU "0"
 * is the shared folder itself; further GPUs get a sub-folder each. A training job claims `vramMb`
 * out of a capacity learned, in this order, from config `gpu_capacity_mb`, or the `capacity.json`
 * ModelManagerSuite writes into the folder when it measured a GPU; without either the claim is
 * exclusive. On a host without a GPU (ModelManagerSuite measured none, or no GPU driver is present)
 * there is no card to share and `auto` takes no claim at all.
 */
export class SharedGpuLocks implements GpuLocks {
  private readonly dirs = new Map<string, GpuLockDirectory>();

  constructor(
    private readonly baseDir: string,
    private readonly claim: { vramMb: number; capacityMb?: number; mode?: GpuClaimMode },
    private readonly gpuPresentOnHost: () => boolean = hostHasGpu,
  ) {}

  private dirFor(gpu: string): GpuLockDirectory {
    let d = this.dirs.get(gpu);
    if (!d) {
      d = new GpuLockDirectory(gpu === '0' ? this.baseDir : join(this.baseDir, `gpu${gpu}`));
      this.dirs.set(gpu, d);
    }
    return d;
  }

  /** The claim policy now (re-read each time: ModelManagerSuite may start after this suite). */
  policy(): ClaimPolicy {
    const mode = this.claim.mode ?? 'auto';
    if (mode === 'off') return { claim: false, source: 'off' };
    if (this.claim.capacityMb !== undefined) return { claim: true, capacityMb: this.claim.capacityMb, source: 'config' };
    const rec = readGpuCapacityRecord(this.baseDir);
    if (rec?.device === 'gpu') return { claim: true, capacityMb: Math.floor(rec.total_mb), source: 'model-manager-record' };
    if (mode === 'always') return { claim: true, source: 'exclusive' };
    // ModelManagerSuite looked for a GPU and found none, or this host has no GPU driver: nothing to share.
    if ((rec?.device === 'cpu' && rec.probed) || !this.gpuPresentOnHost()) return { claim: false, source: 'no-gpu' };
    return { claim: true, source: 'exclusive' };
  }

  /**
   * Whether this host has a GPU at all: ModelManagerSuite's measurement when it made one, else the
   * presence of a GPU driver. training.status reports it, so a CPU-only host does not list GPU "0".
   */
  gpuPresent(): boolean {
    const rec = readGpuCapacityRecord(this.baseDir);
    if (rec?.device === 'gpu') return true;
    if (rec?.device === 'cpu' && rec.probed) return false;
    return this.gpuPresentOnHost();
  }

  async tryAcquire(gpu: string, owner: string): Promise<GpuLease | undefined> {
    const p = this.policy();
    if (!p.claim) return NO_CLAIM;
    try {
      const h = await this.dirFor(gpu).acquire({
        owner: 'AdaptiveLearningSuite',
        vramMb: this.claim.vramMb,
        capacityMb: p.capacityMb,
        timeoutMs: 0,
        purpose: `training ${owner}`,
      });
      return { release: async () => h.release() };
    } catch (err) {
      if (err instanceof GpuBusyError) return undefined;
      throw err;
    }
  }

  releaseAll(): void {
    for (const d of this.dirs.values()) d.releaseAll();
  }
}

import type { Logger } from '../../../runtime/logger.js';
import { ResourceDeniedError, type ResourceManagerClient } from '../../../peers/ResourceManagerClient.js';
import type { GpuLease, GpuLocks } from './GpuLocks.js';

/**
 * GPU claims that also ask ResourceManagerSuite (config `resource_manager.endpoint`): the shared
 * lock file first (local and cheap), then `allocate_resources` for the job's VRAM. A refusal (or
 * no answer) gives the claim back and leaves the job queued; the scheduler tries again after
 * `lock_retry_ms`. Releasing the lease releases both.
 */
export class ResourceManagedLocks implements GpuLocks {
  /** Job id → why ResourceManagerSuite last refused it (cleared once granted). */
  private readonly refusals = new Map<string, string>();

  constructor(
    private readonly inner: GpuLocks,
    private readonly rm: ResourceManagerClient,
    private readonly vramMb: number,
    private readonly log: Logger,
  ) {}

  waitReason(owner: string): string | undefined {
    return this.refusals.get(owner);
  }

  async tryAcquire(gpu: string, owner: string): Promise<GpuLease | undefined> {
    const lease = await this.inner.tryAcquire(gpu, owner);
    if (!lease) return undefined;
    try {
      const allocation = await this.rm.allocate(owner, 'gpu', this.vramMb);
      this.refusals.delete(owner);
      return {
        release: async () => {
          await allocation.release();
          await lease.release();
        },
      };
    } catch (err) {
      await lease.release();
      if (!(err instanceof ResourceDeniedError)) throw err;
      if (this.refusals.get(owner) !== err.message) this.log.info({ job: owner, gpu, reason: err.message }, 'training job waits for ResourceManagerSuite');
      this.refusals.set(owner, err.message);
      return undefined;
    }
  }
}

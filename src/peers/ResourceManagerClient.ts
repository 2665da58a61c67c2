import { randomUUID } from 'node:crypto';
import { ZmqClient } from '../transport/ZmqClient.js';

export interface Allocation {
  resourceId: string;
  release(): Promise<void>;
}

/** ResourceManagerSuite did not grant an allocation (refused, or did not answer). */
export class ResourceDeniedError extends Error {
  override readonly name = 'ResourceDeniedError';
  readonly code = 'RESOURCE_DENIED';
}

/**
 * Asks ResourceManagerSuite for memory before a model load or a training run, using the legacy PC2 ResourceManager
 * request shape so a facade can forward it unchanged (infrastructure.md §2.2):
 * `{action:"allocate_resources", resource_id, resource_type, amount}` → `{status:"success"}`, and
 * `{action:"release_resources", resource_id}` on unload.
 */
export class ResourceManagerClient {
  private readonly client: ZmqClient;

  constructor(
    readonly endpoint: string,
    timeoutMs: number,
    /** Who asks: the suite name, the first part of every resource id. */
    private readonly owner: string,
  ) {
    this.client = new ZmqClient(endpoint, { timeoutMs, retries: 0 });
  }

  /** Asks for `mb` MiB of VRAM (`gpu`) or RAM (`cpu`) on behalf of `subject` (a model or job id). */
  async allocate(subject: string, device: 'gpu' | 'cpu', mb: number): Promise<Allocation> {
    const resourceId = `${this.owner}:${subject}:${randomUUID()}`;
    let reply: Record<string, unknown>;
    try {
      reply = (await this.client.request({
        action: 'allocate_resources',
        resource_id: resourceId,
        resource_type: device === 'gpu' ? 'vram_mb' : 'ram_mb',
        amount: mb,
        source_agent: this.owner,
      })) as Record<string, unknown>;
    } catch (err) {
      throw new ResourceDeniedError(`ResourceManagerSuite at ${this.endpoint} did not answer: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (reply?.status !== 'success') {
      const why = String(reply?.message ?? reply?.error ?? JSON.stringify(reply));
      throw new ResourceDeniedError(`ResourceManagerSuite refused ${mb} MiB for ${subject}: ${why}`);
    }
    let released = false;
    return {
      resourceId,
      release: async () => {
        if (released) return;
        released = true;
        await this.client.request({ action: 'release_resources', resource_id: resourceId }).catch(() => undefined);
      },
    };
  }

  close(): void {
    this.client.close();
  }
}

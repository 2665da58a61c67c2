import { randomUUID } from 'node:crypto';
import { ZmqClient } from '../../transport/ZmqClient.js';
import { ModelError, errorText } from './ModelError.js';

export interface Allocation {
  resourceId: string;
  release(): Promise<void>;
}

/**
 * Asks ResourceManagerSuite for memory before a model load, using the legacy PC2 ResourceManager
 * request shape so a facade can forward it unchanged (infrastructure.md §2.2):
 * `{action:"allocate_resources", resource_id, resource_type, amount}` → `{status:"success"}`, and
 * `{action:"release_resources", resource_id}` on unload.
 */
export class ResourceManagerClient {
  private readonly client: ZmqClient;

  constructor(
    readonly endpoint: string,
    timeoutMs: number,
    private readonly owner = 'ModelManagerSuite',
  ) {
    this.client = new ZmqClient(endpoint, { timeoutMs, retries: 0 });
  }

  async allocate(modelId: string, device: 'gpu' | 'cpu', mb: number): Promise<Allocation> {
    const resourceId = `${this.owner}:${modelId}:${randomUUID()}`;
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
      throw new ModelError('RESOURCE_DENIED', `ResourceManagerSuite at ${this.endpoint} did not answer: ${errorText(err)}`, { model_id: modelId });
    }
    if (reply?.status !== 'success') {
      const why = String(reply?.message ?? reply?.error ?? JSON.stringify(reply));
      throw new ModelError('RESOURCE_DENIED', `ResourceManagerSuite refused ${mb} MiB for ${modelId}: ${why}`, { model_id: modelId });
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

import { ZmqClient } from '../../../transport/ZmqClient.js';
import type { Embedder } from '../MemoryHubDeps.js';
import { normalize } from './LlamaEmbedder.js';

export interface ZmqEmbedderOptions {
  /** ModelManagerSuite main endpoint, e.g. tcp://127.0.0.1:7011. */
  endpoint: string;
  /** Model the ModelManagerSuite should embed with (its registry id); omitted = its default. */
  modelId?: string;
  /** Expected vector length; discovered from the first reply when omitted. */
  dimensions?: number;
  timeoutMs?: number;
}

/**
 * Embeddings from ModelManagerSuite's `embed` action over ZMQ. Request
 * `{action:"embed", texts:[...], model_id?}`; the reply must carry `embeddings` (one number
 * array per text). Dimensions are probed once at creation so the index can be sized.
 */
export class ZmqEmbedder implements Embedder {
  readonly name: string;
  private constructor(
    private readonly client: ZmqClient,
    readonly dimensions: number,
    private readonly opts: ZmqEmbedderOptions,
  ) {
    this.name = `model-manager:${opts.modelId ?? 'default'}:${dimensions}`;
  }

  static async create(opts: ZmqEmbedderOptions): Promise<ZmqEmbedder> {
    const client = new ZmqClient(opts.endpoint, { timeoutMs: opts.timeoutMs ?? 30_000, retries: 1 });
    try {
      // With `dimensions` configured the hub starts even while ModelManagerSuite is down (memories
      // stay queued for embedding, searches answer lexically); without it one probe must succeed.
      const dims =
        opts.dimensions ??
        (await requestEmbeddings(client, ['dimension probe'], opts.modelId, Math.min(opts.timeoutMs ?? 5000, 5000)).catch((err: Error) => {
          throw new Error(`cannot reach ModelManagerSuite at ${opts.endpoint} to learn the embedding size (${err.message}); set embedding.dimensions to start without it`);
        }))[0]!.length;
      return new ZmqEmbedder(client, dims, opts);
    } catch (err) {
      client.close();
      throw err;
    }
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const vectors = await requestEmbeddings(this.client, texts, this.opts.modelId);
    for (const v of vectors) {
      if (v.length !== this.dimensions) {
        throw new Error(`ModelManagerSuite returned a ${v.length}-dimensional vector; expected ${this.dimensions}`);
      }
    }
    return vectors;
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

async function requestEmbeddings(client: ZmqClient, texts: string[], modelId?: string, timeoutMs?: number): Promise<Float32Array[]> {
  const body = { action: 'embed', texts, ...(modelId ? { model_id: modelId } : {}) };
  const reply = (await client.request(body, timeoutMs ? { timeoutMs, retries: 0 } : {})) as Record<string, unknown>;
  if (!reply || typeof reply !== 'object' || (reply.status !== 'success' && reply.status !== 'ok')) {
    const why = reply && typeof reply === 'object' ? String(reply.message ?? reply.error ?? reply.status) : 'no reply object';
    throw new Error(`ModelManagerSuite embed failed: ${why}`);
  }
  const list = reply.embeddings;
  if (!Array.isArray(list) || list.length !== texts.length || !list.every((v) => Array.isArray(v))) {
    throw new Error('ModelManagerSuite embed reply has no `embeddings` list matching the texts');
  }
  return list.map((v) => normalize(Float32Array.from(v as number[])));
}

import { availableParallelism } from 'node:os';
import type { Embedder } from '../MemoryHubDeps.js';
import { HashingEmbedder } from './HashingEmbedder.js';
import { LlamaEmbedder } from './LlamaEmbedder.js';
import { ZmqEmbedder } from './ZmqEmbedder.js';

/**
 * The suite's `embedding:` config block:
 *   provider: hashing (default) | gguf | model-manager
 *   dimensions: hashing vector length (default 256)
 *   model_path: GGUF file for `gguf` (setting it alone also selects `gguf`)
 *   threads: CPU threads of the GGUF embedding context (default half the cores, ≥ 1: llama.cpp's
 *     thread barriers slow to a crawl when other work holds the cores)
 *   endpoint / model_id / timeout_ms: ModelManagerSuite's `embed` action for `model-manager`
 *   min_similarity: cosine floor for a semantic match (default 0.15 hashing, 0.5 models)
 */
export interface EmbeddingConfig {
  provider?: 'hashing' | 'gguf' | 'model-manager';
  dimensions?: number;
  model_path?: string;
  gpu?: boolean;
  /** CPU threads for the GGUF embedding context (default: half the cores, at least 1). */
  threads?: number;
  endpoint?: string;
  model_id?: string;
  timeout_ms?: number;
  min_similarity?: number;
}

export async function createEmbedder(
  cfg: EmbeddingConfig,
  peerEndpoint: (suite: string) => string | undefined,
): Promise<{ embedder: Embedder; minSimilarity: number }> {
  const provider = cfg.provider ?? (cfg.model_path ? 'gguf' : 'hashing');
  switch (provider) {
    case 'hashing':
      return { embedder: new HashingEmbedder(cfg.dimensions ?? 256), minSimilarity: cfg.min_similarity ?? 0.15 };
    case 'gguf': {
      if (!cfg.model_path) throw new Error('embedding.provider "gguf" needs embedding.model_path (a GGUF file)');
      const threads = cfg.threads ?? Math.max(1, Math.floor(availableParallelism() / 2));
      return { embedder: await LlamaEmbedder.create(cfg.model_path, { gpu: cfg.gpu, threads }), minSimilarity: cfg.min_similarity ?? 0.5 };
    }
    case 'model-manager': {
      const endpoint = cfg.endpoint ?? peerEndpoint('ModelManagerSuite');
      if (!endpoint) throw new Error('embedding.provider "model-manager" needs embedding.endpoint or a ModelManagerSuite peer');
      const embedder = await ZmqEmbedder.create({ endpoint, modelId: cfg.model_id, dimensions: cfg.dimensions, timeoutMs: cfg.timeout_ms });
      return { embedder, minSimilarity: cfg.min_similarity ?? 0.5 };
    }
    default:
      throw new Error(`embedding.provider must be hashing, gguf or model-manager (got ${String(provider)})`);
  }
}

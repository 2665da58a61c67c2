import type { Token } from 'node-llama-cpp';
import type { Embedder } from '../MemoryHubDeps.js';

/**
 * Embeddings from a local GGUF model through node-llama-cpp (config `embedding.model_path`).
 * Created with the async factory so no half-loaded embedder is ever visible. Requests are
 * serialised on the one embedding context; the native work runs off the event loop. Texts longer
 * than the context are embedded from their first tokens (a memory may hold up to 256 KiB).
 */
export class LlamaEmbedder implements Embedder {
  readonly name: string;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dimensions: number,
    private readonly modelPath: string,
    private readonly model: { dispose(): Promise<void>; tokenize(text: string): Token[] },
    private readonly context: {
      getEmbeddingFor(input: Token[]): Promise<{ vector: readonly number[] }>;
      dispose(): Promise<void>;
    },
    /** Longest input in tokens; longer texts are embedded from their beginning. */
    private readonly maxTokens: number,
  ) {
    this.name = `gguf:${modelPath.split(/[\\/]/).pop()}:${dimensions}`;
  }

  static async create(modelPath: string, opts: { gpu?: boolean; contextSize?: number; threads?: number } = {}): Promise<LlamaEmbedder> {
    process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD ??= 'true';
    const { getLlama } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: opts.gpu ? 'auto' : false, build: 'never', skipDownload: true });
    const model = await llama.loadModel({ modelPath });
    try {
      const contextSize = opts.contextSize ?? Math.min(model.trainContextSize || 2048, 2048);
      const context = await model.createEmbeddingContext({
        contextSize,
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      });
      // A few tokens of room for the BOS/EOS the context may add.
      return new LlamaEmbedder(model.embeddingVectorSize, modelPath, model, context, Math.max(1, contextSize - 4));
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (this.closed) throw new Error('embedder is closed');
    const run = this.chain.then(async () => {
      const out: Float32Array[] = [];
      for (const text of texts) {
        // An empty input has no tokens to embed; it gets the zero vector (similar to nothing).
        if (text.trim() === '') {
          out.push(new Float32Array(this.dimensions));
          continue;
        }
        const tokens = this.model.tokenize(text);
        const { vector } = await this.context.getEmbeddingFor(tokens.length > this.maxTokens ? tokens.slice(0, this.maxTokens) : tokens);
        out.push(normalize(Float32Array.from(vector)));
      }
      return out;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.context.dispose().catch(() => undefined);
    await this.model.dispose().catch(() => undefined);
  }
}

export function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (n > 0 && Number.isFinite(n)) {
    const inv = 1 / Math.sqrt(n);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}

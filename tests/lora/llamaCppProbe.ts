// Test helper: measures a model from outside the code under test, with node-llama-cpp.
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
import { getLlama, type ControlledEvaluateInputItem, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';

export interface Probe {
  model: LlamaModel;
  /** Log-probability rows (token → log p) for the token after each position. */
  logProbs(tokens: number[], opts?: { lora?: string; f32Cache?: boolean }): Promise<Map<number, number>[]>;
  perplexity(tokens: number[], lora?: string): Promise<number>;
  dispose(): Promise<void>;
}

let llamaPromise: Promise<Llama> | undefined;

export async function openProbe(modelPath: string): Promise<Probe> {
  llamaPromise ??= getLlama({ gpu: false, build: 'never' });
  const llama = await llamaPromise;
  const model = await llama.loadModel({ modelPath });
  const logProbs: Probe['logProbs'] = async (tokens, opts = {}) => {
    const ctx = await model.createContext({
      contextSize: Math.max(64, tokens.length + 8),
      // One thread: llama.cpp's worker threads spin-wait, and on 2 shared cores under load a
      // multi-threaded context slows down by orders of magnitude.
      threads: 1,
      ...(opts.lora ? { lora: { adapters: [{ filePath: opts.lora, scale: 1 }] } } : {}),
      // F32 KV cache and no flash attention: llama.cpp then computes in full F32, like the trainer.
      ...(opts.f32Cache ? { experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32', flashAttention: false } : {}),
    });
    try {
      const res = await ctx.getSequence().controlledEvaluate(tokens.map((t): ControlledEvaluateInputItem => [t as Token, { generateNext: { probabilities: true } }]));
      return res.map((r) => new Map([...r!.next.probabilities!].map(([t, p]) => [t, Math.log(p)])));
    } finally {
      await ctx.dispose();
    }
  };
  return {
    model,
    logProbs,
    perplexity: async (tokens, lora) => {
      const rows = await logProbs(tokens, { lora });
      let nll = 0;
      for (let i = 0; i < tokens.length - 1; i++) nll -= rows[i]!.get(tokens[i + 1]!) ?? -Infinity;
      return Math.exp(nll / (tokens.length - 1));
    },
    dispose: async () => { await model.dispose(); },
  };
}

export async function disposeLlama(): Promise<void> {
  if (llamaPromise) await (await llamaPromise).dispose();
  llamaPromise = undefined;
}

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../BenchContext.js';
import { REPO_ROOT } from '../benchProcesses.js';
import { sentence } from '../syntheticText.js';

/** llama.cpp forward pass (prompt evaluation) on the same model: the inference-side yardstick. */
async function llamaEvalRate(modelPath: string, text: string, rounds: number): Promise<number> {
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
  try {
    const seq = context.getSequence();
    const tokens = model.tokenize(text).slice(0, 480);
    let n = 0;
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      await seq.clearHistory();
      await seq.evaluateWithoutGeneratingNewTokens(tokens);
      n += tokens.length;
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

/** The larger generated model of the benchmark (issue 6: "e.g. 4 layers × 256 dims"). */
const LARGER_SPEC = { blocks: 4, embd: 256, heads: 8, kvHeads: 4, ff: 512 };

/**
 * Built-in LoRA training throughput (`trainLora`, rank 8 on attn_q/attn_v, worker thread included):
 * the trainer's own tokens/s over all steps, on the tiny model and on a larger generated one,
 * each against llama.cpp's single-thread forward pass on the same model (training does forward +
 * backward in JS, so expect a small ratio).
 */
export async function loraTraining(ctx: BenchContext): Promise<void> {
  const file = join(REPO_ROOT, 'src/suites/adaptive-learning/trainers/lora/index.ts');
  const cases = [
    { name: 'LoRA training: trainLora (tiny model)', spec: undefined, steps: ctx.quick ? 4 : 40, evalRounds: ctx.quick ? 3 : 20 },
    { name: 'LoRA training: trainLora (4 layers × 256 dims)', spec: LARGER_SPEC, steps: ctx.quick ? 2 : 10, evalRounds: ctx.quick ? 1 : 5 },
  ];
  for (const c of cases) {
    if (!existsSync(file)) {
      ctx.skip(c.name, 'tokens/s', 'src/suites/adaptive-learning/trainers/lora/index.ts does not exist yet');
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'as-bench-lora-'));
    try {
      const { ensureTinyModel } = await import('../../makeTinyGguf.js');
      const { trainLora } = await import('../../../src/suites/adaptive-learning/trainers/lora/index.js');
      const modelPath = await ensureTinyModel(c.spec ? { spec: c.spec } : {});
      const text = Array.from({ length: 400 }, (_, i) => sentence(i)).join('.\n');
      const dataPath = join(dir, 'train.txt');
      writeFileSync(dataPath, text);
      const res = await trainLora({ modelPath, dataPath, outPath: join(dir, 'adapter.gguf'), steps: c.steps, seqLen: 64, rank: 8, seed: 7 });
      const base = await llamaEvalRate(modelPath, text, c.evalRounds);
      ctx.add({
        name: c.name, metric: `tokens/s (${c.steps} steps, seq 64, rank 8)`, value: res.tokensPerSecond, unit: 'tokens/s',
        baseline_name: 'llama.cpp forward pass, same model (1 thread)', baseline_value: base,
        note: `loss ${res.initialLoss.toFixed(3)} → ${res.finalLoss.toFixed(3)}`,
      });
    } catch (err) {
      ctx.skip(c.name, 'tokens/s', (err as Error).message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

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

/**
 * Built-in LoRA training throughput (`trainLora`, tiny model, rank 8 on attn_q/attn_v): the
 * trainer's own tokens/s over all steps, against llama.cpp's single-thread forward pass on the
 * same model (training does forward + backward in JS, so expect a small ratio).
 */
export async function loraTraining(ctx: BenchContext): Promise<void> {
  const name = 'LoRA training: trainLora (tiny model)';
  const file = join(REPO_ROOT, 'src/suites/adaptive-learning/trainers/lora/index.ts');
  if (!existsSync(file)) {
    ctx.skip(name, 'tokens/s', 'src/suites/adaptive-learning/trainers/lora/index.ts does not exist yet');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'as-bench-lora-'));
  try {
    const { ensureTinyModel } = await import('../../makeTinyGguf.js');
    const { trainLora } = await import('../../../src/suites/adaptive-learning/trainers/lora/index.js');
    const modelPath = await ensureTinyModel();
    const text = Array.from({ length: 400 }, (_, i) => sentence(i)).join('.\n');
    const dataPath = join(dir, 'train.txt');
    writeFileSync(dataPath, text);
    const steps = ctx.quick ? 4 : 40;
    const res = await trainLora({ modelPath, dataPath, outPath: join(dir, 'adapter.gguf'), steps, seqLen: 64, rank: 8, seed: 7 });
    const base = await llamaEvalRate(modelPath, text, ctx.quick ? 3 : 20);
    ctx.add({
      name, metric: `tokens/s (${steps} steps, seq 64, rank 8)`, value: res.tokensPerSecond, unit: 'tokens/s',
      baseline_name: 'llama.cpp forward pass, same model (1 thread)', baseline_value: base,
      note: `loss ${res.initialLoss.toFixed(3)} → ${res.finalLoss.toFixed(3)}`,
    });
  } catch (err) {
    ctx.skip(name, 'tokens/s', (err as Error).message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

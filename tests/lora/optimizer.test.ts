import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdamW, learningRateAt } from '../../src/suites/adaptive-learning/trainers/lora/AdamW.js';
import { trainLora } from '../../src/suites/adaptive-learning/trainers/lora/index.js';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';

// The optimizer pieces the trainer relies on: global-norm clipping, the warm-up + cosine
// schedule, and gradient accumulation being the same update as a larger batch.

test('clipping scales the global gradient norm down to maxNorm, keeping the direction', () => {
  const t = [{ param: new Float32Array(3), grad: Float32Array.from([3, 4, 0]) }, { param: new Float32Array(1), grad: Float32Array.from([0]) }];
  const opt = new AdamW(t, { learningRate: 0.1 });
  assert.is(opt.clipGradients(1), 5, 'returns the norm before clipping');
  assert.ok(Math.abs(t[0]!.grad[0]! - 0.6) < 1e-6 && Math.abs(t[0]!.grad[1]! - 0.8) < 1e-6, `${t[0]!.grad}`);
  const small = [{ param: new Float32Array(2), grad: Float32Array.from([0.3, 0.4]) }];
  new AdamW(small, { learningRate: 0.1 }).clipGradients(1);
  assert.equal([...small[0]!.grad].map((x) => +x.toFixed(6)), [0.3, 0.4], 'under the limit: untouched');
  const off = [{ param: new Float32Array(1), grad: Float32Array.from([100]) }];
  new AdamW(off, { learningRate: 0.1 }).clipGradients(0);
  assert.is(off[0]!.grad[0], 100, 'maxNorm 0 disables clipping');
});

test('learning rate: linear warm-up to the peak, then a cosine down to a tenth of it', () => {
  const peak = 1e-3;
  assert.is(learningRateAt(1, 100, peak, 10), peak / 10);
  assert.is(learningRateAt(5, 100, peak, 10), peak / 2);
  assert.is(learningRateAt(10, 100, peak, 10), peak);
  let last = Infinity;
  for (let s = 11; s <= 100; s++) {
    const lr = learningRateAt(s, 100, peak, 10);
    assert.ok(lr <= last && lr > 0, `non-increasing after warm-up (step ${s})`);
    last = lr;
  }
  assert.ok(Math.abs(learningRateAt(100, 100, peak, 10) - peak * 0.1) < 1e-12, 'ends at a tenth of the peak');
  assert.ok(learningRateAt(1, 100, peak, 0) > peak * 0.99, 'no warm-up: starts at the top of the cosine');
});

test('gradient accumulation 2 × batch 1 makes the same adapter as batch 2; one window per step does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lora-accum-'));
  try {
    const modelPath = await ensureTinyModel();
    const dataPath = join(dir, 'data.txt');
    writeFileSync(dataPath, 'The capital of France is Paris. Berlin is the capital of Germany. Madrid is in Spain. '.repeat(6));
    const run = async (name: string, batchSize: number, gradientAccumulation: number) => {
      const outPath = join(dir, `${name}.gguf`);
      await trainLora({ modelPath, dataPath, outPath, steps: 3, rank: 4, seqLen: 16, learningRate: 1e-2, seed: 3, batchSize, gradientAccumulation });
      return readFileSync(outPath);
    };
    const accumulated = await run('accum', 1, 2);
    const batched = await run('batch', 2, 1);
    const single = await run('single', 1, 1);
    assert.ok(accumulated.equals(batched), 'same windows, same mean gradient, same update');
    assert.not.ok(accumulated.equals(single), 'fewer windows per step give another adapter');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

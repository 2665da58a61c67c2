// Analytic LoRA gradients (backward pass) agree with central finite differences of the loss,
// for every projection the trainer can adapt, with grouped KV heads and dropout off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { seededNormal } from '../../src/gguf/syntheticLlama.js';
import { openModelForTraining } from '../../src/suites/adaptive-learning/trainers/lora/model/openModel.js';
import { LoraParams } from '../../src/suites/adaptive-learning/trainers/lora/LoraParams.js';
import { crossEntropy } from '../../src/suites/adaptive-learning/trainers/lora/crossEntropy.js';
import { LoraTransformer } from '../../src/suites/adaptive-learning/trainers/lora/LoraTransformer.js';

// All modules, and the default attn_q / attn_v only (where the forward hands back the memory of the
// projections without a pair as it goes: the gradients must not see any of it reused).
for (const modules of ['all', 'default'] as const) test(`finite differences match LoRA gradients on ${modules === 'all' ? 'all modules' : 'attn_q and attn_v'} (relative error < 1e-2)`, async () => {
  const { weights, engine, dispose } = await openModelForTraining(await ensureTinyModel(), 2);
  const targetModules = modules === 'all' ? [...weights.spec.projections] : weights.spec.projections.filter((p) => p === 'attn_q' || p === 'attn_v');
  const lora = new LoraParams(weights.hp, { rank: 2, alpha: 4, targetModules });
  lora.initialise(1);
  // Non-zero B so gradients reach A too.
  const normal = seededNormal(9);
  for (const p of lora.pairs) for (let i = 0; i < p.b.length; i++) p.b[i] = normal() * 0.05;
  const model = new LoraTransformer(weights, engine, lora);
  const tokens = [1, 400, 500, 600, 300, 320, 700, 710, 2];
  const inputs = tokens.slice(0, -1);
  const targets = tokens.slice(1);
  const mask: number[] = targets.map((_, i) => (i === 2 ? 0 : 1)); // a masked position must not contribute
  const V = weights.hp.nVocab;
  const count = mask.reduce((a, b) => a + b, 0);
  const loss = (): number => {
    const f = model.forward(inputs);
    const l = crossEntropy(f.logits, targets, mask, V, 1).loss / count;
    f.release();
    return l;
  };

  lora.zeroGrad();
  const fw = model.forward(inputs);
  model.backward(fw, crossEntropy(fw.logits, targets, mask, V, 1 / count).dlogits);

  let worst = 0;
  let checked = 0;
  for (const p of lora.pairs) {
    for (const [param, grad] of [[p.a, p.ga], [p.b, p.gb]] as const) {
      const largest = Array.from(grad.keys()).sort((i, j) => Math.abs(grad[j]!) - Math.abs(grad[i]!)).slice(0, 2);
      for (const i of largest) {
        const orig = param[i]!;
        const eps = 1e-2;
        param[i] = orig + eps; const up = loss();
        param[i] = orig - eps; const down = loss();
        param[i] = orig;
        const numeric = (up - down) / (2 * eps);
        const rel = Math.abs(numeric - grad[i]!) / Math.max(1e-4, Math.abs(numeric) + Math.abs(grad[i]!));
        worst = Math.max(worst, rel);
        checked++;
        assert.ok(rel < 1e-2, `${p.key} ${param === p.a ? 'A' : 'B'}[${i}]: analytic ${grad[i]} numeric ${numeric}`);
      }
    }
  }
  assert.is(checked, lora.pairs.length * 4);
  assert.ok(Math.abs(lora.pairs[0]!.gb.reduce((a, b) => a + Math.abs(b), 0)) > 0, 'gradients are non-zero');
  console.log(`  worst relative error ${worst.toExponential(2)} over ${checked} entries`);
  await dispose();
});

test('dropout multiplies the adapter input and its gradient by the same mask', async () => {
  const { weights, engine, dispose } = await openModelForTraining(await ensureTinyModel(), 1);
  const lora = new LoraParams(weights.hp, { rank: 2, alpha: 2, targetModules: ['attn_q', 'ffn_down'] });
  lora.initialise(3);
  const normal = seededNormal(4);
  for (const p of lora.pairs) for (let i = 0; i < p.b.length; i++) p.b[i] = normal() * 0.05;
  const model = new LoraTransformer(weights, engine, lora);
  const inputs = [1, 420, 430, 440, 450];
  const targets = [420, 430, 440, 450, 2];
  const V = weights.hp.nVocab;
  const seededDropout = () => { let s = 17; return { p: 0.3, rand: () => ((s = (s * 16807) % 2147483647) / 2147483647) }; };
  const loss = (): number => {
    const f = model.forward(inputs, seededDropout());
    const l = crossEntropy(f.logits, targets, undefined, V, 1).loss;
    f.release();
    return l;
  };
  lora.zeroGrad();
  const fw = model.forward(inputs, seededDropout());
  model.backward(fw, crossEntropy(fw.logits, targets, undefined, V, 1).dlogits);
  const p = lora.pairs[0]!;
  const i = Array.from(p.ga.keys()).sort((x, y) => Math.abs(p.ga[y]!) - Math.abs(p.ga[x]!))[0]!;
  const orig = p.a[i]!;
  p.a[i] = orig + 1e-2; const up = loss();
  p.a[i] = orig - 1e-2; const down = loss();
  p.a[i] = orig;
  const numeric = (up - down) / 2e-2;
  assert.ok(Math.abs(numeric - p.ga[i]!) / (Math.abs(numeric) + 1e-6) < 1e-2, `analytic ${p.ga[i]} numeric ${numeric}`);
  await dispose();
});

test.run();

import { GgmlType } from '../../src/gguf/ggufTypes.js';
import { buildSyntheticModel } from '../../src/gguf/syntheticModel.js';
import { openModelForTraining } from '../../src/suites/adaptive-learning/trainers/lora/model/openModel.js';
import { LoraTransformer, crossEntropy } from '../../src/suites/adaptive-learning/trainers/lora/LoraTransformer.js';
import { LoraParams } from '../../src/suites/adaptive-learning/trainers/lora/LoraParams.js';
const modelPath = '/tmp/k/prof.gguf';
await buildSyntheticModel({ architecture: 'llama', blocks: 8, embd: 512, ff: 1536, heads: 8, kvHeads: 4, weightType: GgmlType.Q4_K, embeddingType: GgmlType.Q4_K, outputType: GgmlType.Q6_K, seed: 17 }).write(modelPath);
const threads = Number(process.env.THREADS ?? 1);
const { weights, engine, dispose } = await openModelForTraining(modelPath, threads, 512, 128);
const lora = new LoraParams(weights.hp, { rank: 8, alpha: 16, targetModules: ['attn_q', 'attn_v'] });
lora.initialise(1);
const model = new LoraTransformer(weights, engine, lora);
const seqs = Array.from({ length: 4 }, (_, b) => Array.from({ length: 129 }, (_, i) => 3 + ((i * 37 + b * 11) % 250)));
const N = Number(process.env.N ?? 3);
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const fw = model.forwardBatch(seqs.map((s) => s.slice(0, 128)));
  const targets = seqs.flatMap((s) => s.slice(1));
  const ce = crossEntropy(fw.logits, targets, undefined, weights.hp.nVocab, 1);
  model.backward(fw, ce.dlogits);
  fw.release();
}
const c = process.cpuUsage(c0);
console.log('tok/s', (N * 512 / ((performance.now() - t0) / 1000)).toFixed(0), 'cpu-s per 1k tokens', ((c.user + c.system) / 1e6 / (N * 512) * 1000).toFixed(2));
await dispose();

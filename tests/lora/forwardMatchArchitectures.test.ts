// For every supported architecture × weight type, the trainer's forward pass gives the
// next-token log-probabilities llama.cpp gives (node-llama-cpp, F32 KV cache) within 1e-3, on
// generated models whose matrices (token embedding and output head included) are stored in that
// type. llama.cpp reading the same blocks is the independent check of the trainer's
// dequantisation and of its copy of llama.cpp's activation rounding.
//
// Positions whose answer hangs on a rounding are left out, and counted. Before a quantised
// product both llama.cpp and the trainer round each activation block to 8 bits (and a Q8_0
// block's scale to fp16); when a value sits within a float ulp of a rounding boundary, the
// last-bit differences of the two programs' float sums (which no other implementation shares)
// decide the rounding, and one flipped block moves that position's log-probabilities by ~1e-2.
// A position is ill-conditioned when the trainer's own answer moves by more than 1e-4 when every
// input of a quantised product is nudged by up to 2^-19 of its value, 16 float ulps
// (MatmulEngine.setInputJitter): llama.cpp's own CPU builds differ by that much from one another
// (on an AVX2-only host a phi3 Q5_K position flipped that a 2^-21 nudge did not reach, where the
// AVX-512 build agreed with the trainer to 2e-6). Every
// position must match within 1e-3 unless it is ill-conditioned, and such exceptions must stay
// few (at most a quarter of the positions). Each type is compared on one-block models (a flip in
// one block cascades through the next ones); the graph itself is compared on two-block models
// with float weights, where nothing is rounded to 8 bits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgmlType, WEIGHT_TYPES, ggmlTypeName } from '../../src/gguf/ggufTypes.js';
import { buildSyntheticModel, type SyntheticModelSpec } from '../../src/gguf/syntheticModel.js';
import { LoraTransformer } from '../../src/suites/adaptive-learning/trainers/lora/LoraTransformer.js';
import { openModelForTraining } from '../../src/suites/adaptive-learning/trainers/lora/model/openModel.js';
import { seededRandom } from '../../src/util/seededRandom.js';
import { disposeLlama, openProbe } from './llamaCppProbe.js';

const TEXT = 'the quick brown fox jumps over the lazy dog; memory agents learn from what they are told.';
const tmp = await mkdtemp(join(tmpdir(), 'lora-arch-'));

/** Log-softmax of each row of T × V logits. */
function logSoftmax(logits: Float32Array, T: number, V: number): Float64Array {
  const out = new Float64Array(T * V);
  for (let t = 0; t < T; t++) {
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]!);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[t * V + v]! - max);
    const lse = max + Math.log(sum);
    for (let v = 0; v < V; v++) out[t * V + v] = logits[t * V + v]! - lse;
  }
  return out;
}

interface Comparison { gap: number; excused: number; positions: number; unexplained: number[] }

/**
 * Per position, the largest |log p_trainer − log p_llama.cpp| over every token llama.cpp gives
 * p ≥ 1e-6. Returns the largest gap over positions within 1e-3, how many positions were over it
 * but ill-conditioned (excused), and the positions over it that were not (unexplained).
 */
async function compare(spec: SyntheticModelSpec, file: string): Promise<Comparison> {
  const path = join(tmp, file);
  await buildSyntheticModel(spec).write(path);
  const probe = await openProbe(path);
  const open = await openModelForTraining(path, 2);
  try {
    const tokens = [probe.model.tokens.bos!, ...probe.model.tokenize(TEXT)];
    const T = tokens.length;
    const rows = await probe.logProbs(tokens, { f32Cache: true });
    const V = open.weights.hp.nVocab;
    const model = new LoraTransformer(open.weights, open.engine);
    const run = (): Float64Array => {
      const fw = model.forward(tokens);
      const lp = logSoftmax(fw.logits, T, V);
      fw.release();
      return lp;
    };
    const ours = run();
    const unstable = new Set<number>();
    for (const seed of [1, 2, 3]) {
      const rand = seededRandom(seed);
      open.engine.setInputJitter(() => (rand() * 2 - 1) * 2 ** -19);
      const nudged = run();
      open.engine.setInputJitter(undefined);
      for (let t = 0; t < T; t++) {
        for (let v = 0; v < V; v++) if (Math.abs(nudged[t * V + v]! - ours[t * V + v]!) > 1e-4) { unstable.add(t); break; }
      }
    }
    let gap = 0;
    let compared = 0;
    let excused = 0;
    const unexplained: number[] = [];
    rows.forEach((row, t) => {
      let at = 0;
      for (const [tok, lp] of row) {
        if (lp < Math.log(1e-6)) continue;
        at = Math.max(at, Math.abs(ours[t * V + tok]! - lp));
        compared++;
      }
      if (at < 1e-3) gap = Math.max(gap, at);
      else if (unstable.has(t)) excused++;
      else unexplained.push(t);
    });
    assert.ok(compared >= T, `compared ${compared} log-probabilities`);
    return { gap, excused, positions: T, unexplained };
  } finally {
    await open.dispose();
    await probe.dispose();
  }
}

function check(name: string, c: Comparison, failures: string[]): void {
  gaps.push(`${name} ${c.gap.toExponential(1)}${c.excused ? ` (${c.excused}/${c.positions} excused)` : ''}`);
  if (c.unexplained.length) failures.push(`${name}: positions ${c.unexplained.join(', ')} differ by more than 1e-3`);
  if (c.excused > c.positions / 4) failures.push(`${name}: ${c.excused} of ${c.positions} positions differ (ill-conditioned)`);
}

const ARCHS = ['llama', 'qwen2', 'phi3'] as const;
const gaps: string[] = [];

for (const architecture of ARCHS) {
  test(`${architecture}: every weight type matches llama.cpp within 1e-3 (one-block models)`, async () => {
    const failures: string[] = [];
    for (const type of WEIGHT_TYPES) {
      const name = `${architecture}-${ggmlTypeName(type)}`;
      check(name, await compare({ architecture, weightType: type, embeddingType: type, blocks: 1, seed: 11 }, `${name}.gguf`), failures);
    }
    assert.equal(failures, [], failures.join('; '));
  });
}

test('two-block graphs with F32 weights; Llama 3.1 rope factors (Q4_K, Q6_K head); qwen2 with a tied Q8_0 head', async () => {
  const failures: string[] = [];
  for (const architecture of ARCHS) {
    for (const type of [GgmlType.F32]) {
      const name = `${architecture}-2-blocks-${ggmlTypeName(type)}`;
      check(name, await compare({ architecture, weightType: type, embeddingType: type, blocks: 2, seed: 5 }, `${name}.gguf`), failures);
    }
  }
  check('llama3-rope', await compare({ architecture: 'llama', blocks: 1, weightType: GgmlType.Q4_K, embeddingType: GgmlType.Q6_K, outputType: GgmlType.Q6_K, llama3RopeScaling: { factor: 8, originalContextLength: 64 } }, 'llama3.gguf'), failures);
  check('qwen2-tied', await compare({ architecture: 'qwen2', blocks: 1, weightType: GgmlType.Q8_0, embeddingType: GgmlType.Q8_0, tiedOutput: true }, 'qwen-tied.gguf'), failures);
  assert.equal(failures, [], failures.join('; '));
});

test.after(async () => {
  console.log(`  max log-prob gaps: ${gaps.join(', ')}`);
  await disposeLlama();
  await rm(tmp, { recursive: true, force: true });
});
test.run();

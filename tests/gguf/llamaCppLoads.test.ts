// node-llama-cpp (real llama.cpp, CPU) loads a generated model of every architecture × weight
// type and turns a short prompt into a proper next-token distribution; and llama.cpp really uses
// the Llama-3.1 rope frequency factors we write.
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama, type Token } from 'node-llama-cpp';
import { GgmlType, WEIGHT_TYPES, ggmlTypeName } from '../../src/gguf/ggufTypes.js';
import { SYNTHETIC_ARCHITECTURES, buildSyntheticModel, type SyntheticModelSpec } from '../../src/gguf/syntheticModel.js';

const tmp = await mkdtemp(join(tmpdir(), 'gguf-arch-'));
const llama: Llama = await getLlama({ gpu: false, build: 'never' });
const PROMPT = 'hello world, the quick brown fox jumps';

/** Next-token probabilities after every prompt position, from llama.cpp. */
async function distributions(spec: SyntheticModelSpec, file: string): Promise<Map<number, number>[]> {
  const path = join(tmp, file);
  await buildSyntheticModel(spec).write(path);
  const model = await llama.loadModel({ modelPath: path });
  try {
    // One thread: llama.cpp's workers spin-wait, which on 2 shared cores only slows things down.
    const ctx = await model.createContext({ contextSize: 64, threads: 1 });
    try {
      const tokens = [model.tokens.bos!, ...model.tokenize(PROMPT)];
      const res = await ctx.getSequence().controlledEvaluate(tokens.map((t) => [t as Token, { generateNext: { probabilities: true } }]));
      return res.map((r) => r!.next.probabilities!);
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}

function assertDistribution(rows: Map<number, number>[], what: string): void {
  assert.ok(rows.length > 5, `${what}: one row per prompt token`);
  for (const row of rows) {
    let sum = 0;
    for (const p of row.values()) {
      assert.ok(Number.isFinite(p) && p >= 0, `${what}: probability ${p}`);
      sum += p;
    }
    assert.ok(Math.abs(sum - 1) < 1e-3, `${what}: probabilities sum to ${sum}`);
  }
}

for (const architecture of SYNTHETIC_ARCHITECTURES) {
  test(`${architecture}: llama.cpp loads and evaluates a model in each of the ${WEIGHT_TYPES.length} weight types`, async () => {
    for (const type of WEIGHT_TYPES) {
      const what = `${architecture} ${ggmlTypeName(type)}`;
      // One block keeps 39 model loads quick; token embeddings and head in the same type too.
      const rows = await distributions({ architecture, blocks: 1, weightType: type, embeddingType: type }, `${architecture}-${type}.gguf`);
      assertDistribution(rows, what);
    }
  });
}

test('tied output heads load for every architecture', async () => {
  for (const architecture of SYNTHETIC_ARCHITECTURES) {
    assertDistribution(await distributions({ architecture, blocks: 1, tiedOutput: true, weightType: GgmlType.Q4_K }, `${architecture}-tied.gguf`), `${architecture} tied`);
  }
});

test('llama.cpp applies rope_freqs.weight: same weights, different predictions after the first position', async () => {
  const base: SyntheticModelSpec = { blocks: 2, ropeFreqBase: 500000, seed: 9 };
  const plain = await distributions(base, 'rope-plain.gguf');
  const scaled = await distributions({ ...base, llama3RopeScaling: { factor: 32, originalContextLength: 64, highFreqFactor: 8 } }, 'rope-llama3.gguf');
  const gap = (t: number): number => {
    let g = 0;
    for (const [tok, p] of plain[t]!) g = Math.max(g, Math.abs(p - (scaled[t]!.get(tok) ?? 0)));
    return g;
  };
  assert.ok(gap(0) < 1e-6, `position 0 has no rotation: gap ${gap(0)}`);
  assert.ok(Math.max(...plain.slice(1).map((_, i) => gap(i + 1))) > 1e-3, 'later positions change');
});

test.after(async () => {
  await llama.dispose();
  await rm(tmp, { recursive: true, force: true });
});
test.run();

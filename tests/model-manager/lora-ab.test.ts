import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { GgufWriter } from '../../src/gguf/GgufWriter.js';
import { seededRandom } from '../../src/gguf/syntheticLlama.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

/**
 * Registry entries with LoRA adapters: the same GGUF with and without a random rank-4 adapter on
 * attn_q/attn_v (format from GGUF_NOTES.md) are two models, and `evaluate` compares them (A/B).
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
const scratch = mkdtempSync(join(tmpdir(), 'mm-lora-'));
let s: TestSuite;

async function writeAdapter(path: string): Promise<void> {
  const rnd = seededRandom(99);
  const rank = 4;
  const nEmbd = 64;
  const nKv = 32; // tiny model: 4 heads of 16, 2 KV heads
  const w = new GgufWriter();
  w.setString('general.architecture', 'llama').setString('general.type', 'adapter').setString('adapter.type', 'lora').setF32('adapter.lora.alpha', rank);
  const mat = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  for (const b of [0, 1]) {
    w.addTensor(`blk.${b}.attn_q.weight.lora_a`, [nEmbd, rank], mat(nEmbd * rank, 0.5));
    w.addTensor(`blk.${b}.attn_q.weight.lora_b`, [rank, nEmbd], mat(rank * nEmbd, 0.5));
    w.addTensor(`blk.${b}.attn_v.weight.lora_a`, [nEmbd, rank], mat(nEmbd * rank, 0.5));
    w.addTensor(`blk.${b}.attn_v.weight.lora_b`, [rank, nKv], mat(rank * nKv, 0.5));
  }
  await w.write(path);
}

test.before(async () => {
  const path = await ensureTinyModel();
  const adapter = join(scratch, 'adapter.gguf');
  await writeAdapter(adapter);
  const base = { path, context_size: 256, threads: 1, sequences: 1 };
  s = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: {
      gpu: false,
      models: [
        { id: 'base', ...base },
        { id: 'base+lora', ...base, lora_adapters: [{ path: adapter, scale: 1 }] },
        { id: 'bad-lora', ...base, lora_adapters: [{ path: join(scratch, 'no-such-adapter.gguf'), scale: 1 }] },
      ],
    },
  });
});

test.after(async () => {
  await s?.close();
  rmSync(scratch, { recursive: true, force: true });
});

test('an adapter changes the model, and evaluate compares base vs adapter', async () => {
  const prompt = { action: 'generate_text', prompt: 'hello world', max_tokens: 12, temperature: 0 };
  const a = await s.call({ ...prompt, model_id: 'base' });
  const b = await s.call({ ...prompt, model_id: 'base+lora' });
  assert.is(a.status, 'success');
  assert.is(b.status, 'success');
  const r = await s.call({ action: 'evaluate', model_ids: ['base', 'base+lora'], max_tokens: 4, prompts: ['Hi'] }, { timeoutMs: 60_000 });
  assert.is(r.status, 'success');
  const [pa, pb] = r.results.map((x: any) => x.perplexity);
  assert.ok(Number.isFinite(pa) && Number.isFinite(pb));
  assert.is.not(pa, pb, 'the adapter moved the perplexity');
  assert.ok(['base', 'base+lora'].includes(r.winner));
  const list = await s.call({ action: 'models.list' });
  assert.is(list.models.find((m: any) => m.model_id === 'base+lora').lora_adapters.length, 1);
});

test('a missing adapter file fails the load clearly and leaves nothing loaded', async () => {
  const before = Object.keys((await s.call({ command: 'GET_LOADED_MODELS_STATUS' })).loaded_models).sort();
  const r = await s.call({ action: 'load_model', model_id: 'bad-lora' });
  assert.is(r.status, 'error');
  assert.is(r.loaded, false);
  assert.is(r.code, 'MODEL_FILE_MISSING');
  assert.match(r.error, /LoRA adapter file missing for bad-lora/);
  const after = Object.keys((await s.call({ command: 'GET_LOADED_MODELS_STATUS' })).loaded_models).sort();
  assert.equal(after, before);
  assert.is((await s.call({ action: 'generate_text', model_id: 'base', prompt: 'still serving', max_tokens: 2 })).status, 'success');
});

test.run();

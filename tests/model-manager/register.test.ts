import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { GgufWriter } from '../../src/gguf/GgufWriter.js';
import { seededRandom } from '../../src/gguf/syntheticLlama.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

/**
 * models.register / models.unregister: a run-time model = base weights + LoRA adapter, checked
 * (files exist, adapters really are GGUF LoRA adapters), servable at once, persisted across a
 * restart, and protected from unregistering while loaded unless forced.
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
const scratch = mkdtempSync(join(tmpdir(), 'mm-register-'));
const dataDir = mkdtempSync(join(tmpdir(), 'mm-register-data-'));
const adapter = join(scratch, 'adapter.gguf');
let tiny: string;
let s: TestSuite;

async function writeAdapter(path: string, opts: { type?: string; arch?: string } = {}): Promise<void> {
  const rnd = seededRandom(7);
  const rank = 4;
  const w = new GgufWriter();
  w.setString('general.architecture', opts.arch ?? 'llama').setString('general.type', opts.type ?? 'adapter').setString('adapter.type', 'lora').setF32('adapter.lora.alpha', rank);
  const mat = (n: number) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * 0.5);
  for (const b of [0, 1]) {
    w.addTensor(`blk.${b}.attn_q.weight.lora_a`, [64, rank], mat(64 * rank));
    w.addTensor(`blk.${b}.attn_q.weight.lora_b`, [rank, 64], mat(rank * 64));
  }
  await w.write(path);
}

const config = () => ({
  gpu: false,
  budget: { mb: 1000 },
  gpu_lock: { mode: 'off' },
  models: [{ id: 'base', path: tiny, context_size: 256, threads: 1, sequences: 1, estimated_vram_mb: 30 }],
  // Registration paths are confined to configured folders (issue 10); the adapters live here.
  allowed_paths: [scratch],
});

test.before(async () => {
  tiny = await ensureTinyModel();
  await writeAdapter(adapter);
  await writeAdapter(join(scratch, 'wrong-type.gguf'), { type: 'model' });
  await writeAdapter(join(scratch, 'wrong-arch.gguf'), { arch: 'gpt2' });
  writeFileSync(join(scratch, 'garbage.gguf'), 'not a gguf file at all');
  s = await startTestSuite('ModelManagerSuite', { redisUrl: false, dataDir, config: config() });
});

test.after(async () => {
  await s?.close();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const reg = (extra: Record<string, unknown>) => s.call({ action: 'models.register', ...extra });

test('bad registrations are refused with a clear reason and leave nothing behind', async () => {
  const cases: Array<[Record<string, unknown>, string | undefined, RegExp]> = [
    [{ model_id: 'x', lora_adapters: [{ path: adapter }] }, undefined, /exactly one of base_model_id or path/],
    [{ model_id: 'x', base_model_id: 'base', path: tiny }, undefined, /exactly one of base_model_id or path/],
    [{ model_id: 'x', base_model_id: 'nope', lora_adapters: [{ path: adapter }] }, 'UNKNOWN_MODEL', /unknown model nope/],
    [{ model_id: 'x', base_model_id: 'base', lora_adapters: [{ path: join(scratch, 'missing.gguf') }] }, 'MODEL_FILE_MISSING', /missing\.gguf is missing or unreadable/],
    [{ model_id: 'x', base_model_id: 'base', lora_adapters: [{ path: tiny }] }, 'BAD_ADAPTER', /general\.type is .*not "adapter"/],
    [{ model_id: 'x', base_model_id: 'base', lora_adapters: [{ path: join(scratch, 'wrong-type.gguf') }] }, 'BAD_ADAPTER', /not "adapter"/],
    [{ model_id: 'x', base_model_id: 'base', lora_adapters: [{ path: join(scratch, 'wrong-arch.gguf') }] }, 'BAD_ADAPTER', /architecture gpt2.*llama/],
    [{ model_id: 'x', base_model_id: 'base', lora_adapters: [{ path: join(scratch, 'garbage.gguf') }] }, 'BAD_ADAPTER', /not a readable GGUF/],
    [{ model_id: 'x', path: adapter }, 'CORRUPT_MODEL', /LoRA adapter, not a model/],
    [{ model_id: 'base', base_model_id: 'base', lora_adapters: [{ path: adapter }] }, 'MODEL_EXISTS', /already exists/],
    [{ model_id: 'a/b', base_model_id: 'base' }, undefined, /slashes/],
  ];
  for (const [req, code, msg] of cases) {
    const r = await reg(req);
    assert.is(r.status, 'error', JSON.stringify(req));
    assert.match(r.message, msg, `${JSON.stringify(req)} → ${r.message}`);
    if (code) assert.is(r.code, code, r.message);
  }
  const list = await s.call({ action: 'models.list' });
  assert.equal(list.models.map((m: any) => m.model_id), ['base']);
});

test('a registered adapter model generates, differs from its base, and is idempotent to re-register', async () => {
  const r = await reg({ model_id: 'base+ad', base_model_id: 'base', lora_adapters: [{ path: adapter, scale: 1 }], source: 'test' });
  assert.is(r.status, 'success', JSON.stringify(r));
  assert.is(r.already_registered, false);
  assert.equal(r.lora_adapters, [{ path: adapter, scale: 1 }]);
  const again = await reg({ model_id: 'base+ad', base_model_id: 'base', lora_adapters: [{ path: adapter, scale: 1 }] });
  assert.is(again.status, 'success');
  assert.is(again.already_registered, true);
  const clash = await reg({ model_id: 'base+ad', base_model_id: 'base', lora_adapters: [{ path: adapter, scale: 0.5 }] });
  assert.is(clash.code, 'MODEL_EXISTS');

  const gen = (model: string) => s.call({ action: 'generate_text', model_name: model, prompt: 'hello world', max_tokens: 8, temperature: 0, seed: 1 });
  const g = await gen('base+ad');
  assert.is(g.status, 'success', JSON.stringify(g));
  assert.ok(g.tokens_generated > 0);
  const ev = await s.call({ action: 'evaluate', model_ids: ['base', 'base+ad'], texts: ['The quick brown fox jumps over the lazy dog.'], prompts: ['Hi'], max_tokens: 1 });
  assert.is(ev.status, 'success', JSON.stringify(ev));
  const [pb, pa] = ev.results.map((x: any) => x.perplexity);
  assert.ok(pb > 1 && pa > 1 && pb !== pa, `the adapter changes the logits: ${pb} vs ${pa}`);

  const list = await s.call({ action: 'models.list' });
  const entry = list.models.find((m: any) => m.model_id === 'base+ad');
  assert.is(entry.registered, true);
  assert.is(entry.base_model_id, 'base');
  assert.is(entry.registration_source, 'test');
  assert.is(list.models.find((m: any) => m.model_id === 'base').registered, false);
});

test('a loaded model is unregistered only with force; configured models cannot be unregistered', async () => {
  assert.ok((await s.call({ action: 'models.list' })).models.find((m: any) => m.model_id === 'base+ad').loaded);
  const refused = await s.call({ action: 'models.unregister', model_id: 'base+ad' });
  assert.is(refused.status, 'error');
  assert.is(refused.code, 'MODEL_IN_USE');
  assert.match(refused.message, /loaded.*force/);
  const cfg = await s.call({ action: 'models.unregister', model_id: 'base' });
  assert.is(cfg.code, 'NOT_REGISTERED');
  const unknown = await s.call({ action: 'models.unregister', model_id: 'ghost' });
  assert.is(unknown.code, 'UNKNOWN_MODEL');

  const other = await reg({ model_id: 'by-path', path: tiny, lora_adapters: [{ path: adapter, scale: 0.5 }], threads: 1, context_size: 128 });
  assert.is(other.status, 'success', JSON.stringify(other));
  assert.is(other.context_size, 128);

  const forced = await s.call({ action: 'models.unregister', model_id: 'base+ad', force: true });
  assert.is(forced.status, 'success', JSON.stringify(forced));
  assert.is(forced.unloaded, true);
  const list = await s.call({ action: 'models.list' });
  assert.equal(list.models.map((m: any) => m.model_id).sort(), ['base', 'by-path']);
  const g = await s.call({ action: 'generate_text', model_name: 'base+ad', prompt: 'hi', max_tokens: 2 });
  assert.is(g.status, 'error');
});

test('registrations survive a restart; the lock folder records the measured device', async () => {
  await s.close({ keepData: true });
  s = await startTestSuite('ModelManagerSuite', { redisUrl: false, dataDir, config: config() });
  const list = await s.call({ action: 'models.list' });
  const entry = list.models.find((m: any) => m.model_id === 'by-path');
  assert.ok(entry, JSON.stringify(list.models.map((m: any) => m.model_id)));
  assert.is(entry.registered, true);
  assert.is(entry.context_size, 128);
  assert.equal(entry.lora_adapters, [{ path: adapter, scale: 0.5 }]);
  const g = await s.call({ action: 'generate_text', model_name: 'by-path', prompt: 'hello', max_tokens: 4, temperature: 0, seed: 1 });
  assert.is(g.status, 'success', JSON.stringify(g));
  const un = await s.call({ action: 'models.unregister', model_id: 'by-path', force: true });
  assert.is(un.status, 'success');

  const capFile = join(dataDir, 'locks', 'gpu', 'capacity.json');
  assert.ok(existsSync(capFile));
  const cap = JSON.parse(readFileSync(capFile, 'utf8'));
  assert.is(cap.device, 'cpu');
  assert.is(cap.probed, false);
  assert.is(cap.budget_mb, 1000);
  assert.ok(cap.total_mb > 0);
});

test.run();

// Bad input is refused with a clear, coded error before any training starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { buildSyntheticLlama } from '../../src/gguf/syntheticLlama.js';
import { LoraTrainError, trainLora, type LoraTrainOptions } from '../../src/suites/adaptive-learning/trainers/lora/index.js';

const tmp = await mkdtemp(join(tmpdir(), 'lora-bad-'));
const modelPath = await ensureTinyModel();
const dataPath = join(tmp, 'ok.txt');
await writeFile(dataPath, 'the quick brown fox jumps over the lazy dog.');
const outPath = join(tmp, 'out.gguf');

async function expectError(opts: Partial<LoraTrainOptions>, code: string, pattern: RegExp): Promise<void> {
  const err = await trainLora({ modelPath, dataPath, outPath, steps: 2, ...opts }).then(() => undefined, (e: unknown) => e);
  assert.instance(err, LoraTrainError, `expected ${code}`);
  assert.is((err as LoraTrainError).code, code, (err as Error).message);
  assert.match((err as Error).message, pattern);
  assert.not.ok(existsSync(opts.outPath ?? outPath), 'nothing written');
}

test('non-llama architecture', async () => {
  const p = join(tmp, 'gpt2.gguf');
  await buildSyntheticLlama().setString('general.architecture', 'gpt2').write(p);
  await expectError({ modelPath: p }, 'MODEL_UNSUPPORTED', /architecture "gpt2" is not supported \(supported: llama, qwen2, phi3\)/);
  const g = join(tmp, 'gemma2.gguf');
  await buildSyntheticLlama().setString('general.architecture', 'gemma2').write(g);
  await expectError({ modelPath: g }, 'MODEL_UNSUPPORTED', /"gemma2" is not supported yet \(its soft-capping/);
});

test('a quantisation the trainer cannot read', async () => {
  const p = join(tmp, 'iq4.gguf');
  const w = buildSyntheticLlama().remove('blk.0.attn_q.weight');
  w.addRawTensor('blk.0.attn_q.weight', [64, 64], 20 /* IQ4_NL */, new Uint8Array((64 * 64 / 32) * 18));
  await w.write(p);
  await expectError({ modelPath: p }, 'MODEL_UNSUPPORTED', /tensor blk\.0\.attn_q\.weight is IQ4_NL/);
});

test('not a GGUF file, and missing files', async () => {
  await expectError({ modelPath: dataPath }, 'MODEL_UNSUPPORTED', /GGUF/);
  await expectError({ modelPath: join(tmp, 'nope.gguf') }, 'FILE_NOT_FOUND', /model file not found/);
  await expectError({ dataPath: join(tmp, 'nope.txt') }, 'FILE_NOT_FOUND', /data file not found/);
});

test('rank larger than an adapted dimension, and other bad options', async () => {
  await expectError({ rank: 33 }, 'INVALID_OPTION', /rank 33 is larger than attn_v/);
  await expectError({ rank: 0 }, 'INVALID_OPTION', /rank/);
  await expectError({ seqLen: 4096 }, 'INVALID_OPTION', /context length \(512\)/);
  await expectError({ targetModules: ['attn_x'] }, 'INVALID_OPTION', /unknown target module/);
  await expectError({ dropout: 1 }, 'INVALID_OPTION', /dropout/);
  await expectError({ learningRate: -1 }, 'INVALID_OPTION', /learningRate/);
  await expectError({ resume: true }, 'INVALID_OPTION', /checkpointDir/);
});

test('empty data set', async () => {
  const empty = join(tmp, 'empty.txt');
  await writeFile(empty, '  \n');
  await expectError({ dataPath: empty }, 'DATA_EMPTY', /empty/);
  const blank = join(tmp, 'blank.jsonl');
  await writeFile(blank, '\n\n');
  await expectError({ dataPath: blank }, 'DATA_EMPTY', /no training records/);
});

test('bad JSONL lines are reported with their line numbers', async () => {
  const p = join(tmp, 'bad.jsonl');
  await writeFile(p, [
    JSON.stringify({ text: 'fine' }),
    '{not json',
    JSON.stringify({ messages: [{ role: 'robot', content: 'x' }] }),
    '',
    JSON.stringify({ prompt: 'p' }),
    JSON.stringify({ other: 1 }),
  ].join('\n'));
  const err = await trainLora({ modelPath, dataPath: p, outPath, steps: 1 }).then(() => undefined, (e: unknown) => e) as LoraTrainError;
  assert.is(err.code, 'DATA_INVALID');
  assert.match(err.message, /4 bad line/);
  for (const n of [2, 3, 5, 6]) assert.match(err.message, new RegExp(`line ${n}:`));
  assert.not.match(err.message, /line 1:/);
});

test('paths outside allowedRoots are refused; without the option any path is accepted', async () => {
  const root = join(tmp, 'jail');
  await expectError({ allowedRoots: [root], outPath: join(root, 'a.gguf') }, 'PATH_NOT_ALLOWED', /modelPath/);
  // a symlink inside the allowed folder that points outside it is refused too
  await mkdir(root, { recursive: true });
  await symlink(modelPath, join(root, 'link.gguf'));
  await writeFile(join(root, 'd.txt'), 'hello world');
  await expectError({ allowedRoots: [root], modelPath: join(root, 'link.gguf'), dataPath: join(root, 'd.txt'), outPath: join(root, 'a.gguf') }, 'PATH_NOT_ALLOWED', /modelPath/);
  const r = await trainLora({ modelPath, dataPath, outPath: join(tmp, 'free.gguf'), steps: 1, rank: 2 });
  assert.ok(existsSync(r.adapterPath));
});

test.after(async () => { await rm(tmp, { recursive: true, force: true }); });
test.run();

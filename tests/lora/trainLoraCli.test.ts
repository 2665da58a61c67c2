// `agent-suites train lora`: trains and prints a summary; missing files give a clear error and exit 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { startTinyModelManager } from '../helpers/suiteHarness.js';
import { disposeLlama, openProbe } from './llamaCppProbe.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/agent-suites.js');
const tmp = await mkdtemp(join(tmpdir(), 'lora-cli-'));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' }, timeout: 50_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('train lora writes an adapter and prints a summary', async () => {
  const data = join(tmp, 'd.txt');
  await writeFile(data, 'the quick brown fox jumps over the lazy dog.');
  const out = join(tmp, 'a.gguf');
  const r = await cli(['train', 'lora', '--model', await ensureTinyModel(), '--data', data, '--out', out, '--steps', '3', '--rank', '2', '--seq-len', '16', '--no-progress']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(existsSync(out));
  assert.match(r.stdout, /adapter written: .*a\.gguf/);
  assert.match(r.stdout, /steps: 3/);
  assert.match(r.stdout, /tokens\/s \(\d+ threads, integer kernel (native-avx512|native-avx2|wasm-simd)\)/);
  // It ends with the models.register call that serves the adapter; that call works as printed.
  const line = r.stdout.trim().split('\n').pop()!;
  assert.match(line, /^ {2}npx agent-suites call ModelManagerSuite '\{"action":"models\.register"/);
  const request = JSON.parse(line.slice(line.indexOf("'") + 1, line.lastIndexOf("'")));
  const mm = await startTinyModelManager(join(tmp, 'mm-data'), { allowed_paths: [tmp] });
  try {
    const registered = await mm.call(request);
    assert.is(registered.status, 'success', JSON.stringify(registered));
    assert.is(registered.model_id, 'a');
    const text = await mm.call({ action: 'generate_text', model_id: 'a', prompt: 'the quick', max_tokens: 4 }, { timeoutMs: 30_000 });
    assert.is(text.status, 'success', JSON.stringify(text));
  } finally {
    await mm.close();
  }
});

test('a generated Q4_K qwen2 model (written by npm run fixtures) is fine-tuned by the CLI; node-llama-cpp alone measures the gain', async () => {
  const model = join(tmp, 'qwen2-q4k.gguf');
  const gen = await new Promise<{ code: number; stderr: string }>((done) => {
    execFile(process.execPath, ['--import', 'tsx', resolve(fileURLToPath(import.meta.url), '../../../scripts/makeTinyGguf.ts'), '--arch', 'qwen2', '--type', 'Q4_K', '--blocks', '1', '--out', model],
      { timeout: 50_000 }, (err, _out, stderr) => done({ code: err ? 1 : 0, stderr }));
  });
  assert.is(gen.code, 0, gen.stderr);
  const text = 'memory agents learn from what they are told. the quick brown fox jumps over the lazy dog.';
  const data = join(tmp, 'q.txt');
  await writeFile(data, text);
  const out = join(tmp, 'q4k.lora.gguf');
  const r = await cli(['train', 'lora', '--model', model, '--data', data, '--out', out, '--steps', '20', '--lr', '0.02', '--rank', '8', '--seq-len', '64', '--targets', 'q_proj', 'v_proj', 'down_proj', '--no-progress']);
  assert.is(r.code, 0, r.stderr);
  const probe = await openProbe(model);
  try {
    const tokens = [probe.model.tokens.bos!, ...probe.model.tokenize(text)];
    const base = await probe.perplexity(tokens);
    const adapted = await probe.perplexity(tokens, out);
    assert.ok(adapted < 0.8 * base, `perplexity ${base} → ${adapted}`);
  } finally {
    await probe.dispose();
    await disposeLlama();
  }
});

test('missing model file: clear error, exit code 1', async () => {
  const r = await cli(['train', 'lora', '--model', join(tmp, 'none.gguf'), '--data', join(tmp, 'd.txt'), '--out', join(tmp, 'b.gguf')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /FILE_NOT_FOUND.*model file not found/);
});

test.after(async () => { await rm(tmp, { recursive: true, force: true }); });
test.run();

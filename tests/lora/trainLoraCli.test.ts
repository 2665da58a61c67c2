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
  assert.match(r.stdout, /tokens\/s/);
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

test('missing model file: clear error, exit code 1', async () => {
  const r = await cli(['train', 'lora', '--model', join(tmp, 'none.gguf'), '--data', join(tmp, 'd.txt'), '--out', join(tmp, 'b.gguf')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /FILE_NOT_FOUND.*model file not found/);
});

test.after(async () => { await rm(tmp, { recursive: true, force: true }); });
test.run();

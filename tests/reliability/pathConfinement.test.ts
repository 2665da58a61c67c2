import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { confinePath, PathNotAllowedError } from '../../src/stores/paths/confinePath.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

// File paths in requests (data sets, models, adapters) stay inside configured folders (issue 10):
// `../` and absolute paths outside, and symlinks leading out, get a clear error reply naming the
// allowed folders, and nothing is created or read.

process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
const extra = mkdtempSync(join(tmpdir(), 'as-allowed-'));
let al: TestSuite;
let mm: TestSuite;
let alData: string;

const EXAMPLE = JSON.stringify({ text: 'a data set inside the data folder' }) + '\n';

test.before(async () => {
  const tiny = await ensureTinyModel();
  writeFileSync(join(extra, 'extra.jsonl'), EXAMPLE);
  al = await startTestSuite('AdaptiveLearningSuite', { redisUrl: false, config: { models: { tiny }, allowed_paths: [extra] } });
  alData = join(al.dataDir, 'adaptive-learning');
  mkdirSync(join(alData, 'sets'), { recursive: true });
  writeFileSync(join(alData, 'sets', 'inside.jsonl'), EXAMPLE);
  symlinkSync('/etc', join(alData, 'sets', 'etc-link'));
  mm = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: { gpu: false, budget: { mb: 1000 }, models: [{ id: 'tiny', path: tiny, context_size: 256, threads: 1, sequences: 1, estimated_vram_mb: 30 }] },
  });
});

test.after(async () => {
  await al?.close();
  await mm?.close();
  rmSync(extra, { recursive: true, force: true });
});

const OUTSIDE = ['../../etc/passwd', '../../../../../../etc/passwd', '/etc/passwd', 'sets/../../../x.jsonl', 'sets/etc-link/passwd', '/tmp'];

test('confinePath: resolves inside, refuses outside with the allowed folders named', () => {
  const root = mkdtempSync(join(tmpdir(), 'as-confine-'));
  try {
    assert.is(confinePath('a/b.jsonl', [root]), join(root, 'a', 'b.jsonl'));
    assert.is(confinePath(join(root, 'x'), [root]), join(root, 'x'));
    for (const p of ['../x', '/etc/passwd', 'a/../../x', '', 'a\0b']) {
      try {
        confinePath(p, [root], { what: 'data_path' });
        assert.unreachable(`${p} was accepted`);
      } catch (err) {
        assert.instance(err, PathNotAllowedError);
        assert.match((err as Error).message, /^data_path ".*" is outside the allowed folders \(/);
        assert.ok((err as Error).message.includes(root));
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('AdaptiveLearningSuite: data sets and model files from requests must stay inside the allowed folders', async () => {
  const jobsBefore = (await al.call({ action: 'training.status' })).jobs.length;
  for (const p of OUTSIDE) {
    const start = await al.call({ action: 'training.start', model_id: 'tiny', data_path: p });
    assert.is(start.status, 'error', `training.start data_path ${p} → ${JSON.stringify(start)}`);
    assert.match(start.message, /data_path ".*" is outside the allowed folders/);
    assert.ok(start.message.includes(alData) && start.message.includes(extra), `names the allowed folders: ${start.message}`);

    const job = await al.call({ action: 'create_job', model_id: 'tiny', config: { data_source: p, examples: [{ text: 'x' }] } });
    assert.is(job.status, 'error');
    assert.match(job.message, /data_source ".*" is outside the allowed folders/);

    const model = await al.call({ action: 'create_job', model_id: 'tiny', config: { model_path: p, examples: [{ text: 'x' }] } });
    assert.is(model.status, 'error');
    assert.match(model.message, /model_path ".*" is outside the allowed folders/);

    const ft = await al.call({ action: 'trigger_finetune', data_source: p, model_to_tune: 'tiny' });
    assert.is(ft.status, 'error', `trigger_finetune ${p} → ${JSON.stringify(ft)}`);
    assert.match(ft.error, /outside the allowed folders/, 'refused for the path, not for the file (no existence oracle)');
  }
  const asId = await al.call({ action: 'training.start', model_id: '../../../etc/passwd', examples: [{ text: 'x' }] });
  assert.is(asId.status, 'error');
  assert.match(asId.message, /model_id ".*" is outside the allowed folders/);
  assert.is((await al.call({ action: 'training.status' })).jobs.length, jobsBefore, 'no job row was created for a refused path');
  assert.is(asId.code, 'PATH_NOT_ALLOWED');
  // A refused path is the client's mistake: /metrics counts it as such, not as a handler failure.
  const metrics = await al.metricsText();
  for (const action of ['training.start', 'create_job', 'trigger_finetune']) {
    assert.match(metrics, new RegExp(`agent_suites_errors_total\\{[^}]*action="${action.replace('.', '\\.')}"[^}]*code="PATH_NOT_ALLOWED"[^}]*kind="client"`), action);
    assert.not.match(metrics, new RegExp(`agent_suites_errors_total\\{[^}]*action="${action.replace('.', '\\.')}"[^}]*code="HANDLER_ERROR"`), action);
  }

  // Inside the data folder (relative or absolute) and inside allowed_paths: accepted.
  for (const p of ['sets/inside.jsonl', join(alData, 'sets', 'inside.jsonl'), join(extra, 'extra.jsonl')]) {
    const ok = await al.call({ action: 'create_job', model_id: 'tiny', config: { data_path: p } });
    assert.is(ok.status, 'success', `${p} → ${JSON.stringify(ok)}`);
  }
});

test('ModelManagerSuite: models.register paths are confined; load_model only takes registry ids', async () => {
  // Relative paths are taken from models_dir here (the symlink case is the data folder's).
  for (const p of OUTSIDE.filter((x) => !x.startsWith('sets/etc-link'))) {
    const byPath = await mm.call({ action: 'models.register', model_id: 'evil', path: p });
    assert.is(byPath.status, 'error', JSON.stringify(byPath));
    assert.is(byPath.code, 'PATH_NOT_ALLOWED', byPath.message);
    assert.match(byPath.message, /^path ".*" is outside the allowed folders \(/);
    const adapter = await mm.call({ action: 'models.register', model_id: 'evil', base_model_id: 'tiny', lora_adapters: [{ path: p }] });
    assert.is(adapter.status, 'error');
    assert.is(adapter.code, 'PATH_NOT_ALLOWED', adapter.message);
  }
  const load = await mm.call({ action: 'load_model', model_id: '../../../etc/passwd' });
  assert.is(load.status, 'error');
  assert.match(load.message ?? load.error, /unknown model/i);
  const ids = (await mm.call({ action: 'models.list' })).models.map((m: { model_id: string }) => m.model_id);
  assert.equal(ids, ['tiny'], 'nothing was registered');
  assert.match(await mm.metricsText(), /agent_suites_errors_total\{[^}]*action="models\.register"[^}]*code="PATH_NOT_ALLOWED"[^}]*kind="client"/);
});

test.run();

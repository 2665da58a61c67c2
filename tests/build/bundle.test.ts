import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { buildIsCurrent, scanSources, writeStamp } from '../../scripts/buildState.mjs';

// The bundle `agent-suites` runs (scripts/build.mjs): built here into a folder of its own (dist/ is
// what the other tests' suite processes run), then its CLI and its trainer entry points run from it.

const run = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
const OUT = join(REPO, '.cache', `bundle-test-${process.pid}`);
const work = mkdtempSync(join(tmpdir(), 'bundle-test-'));

test.before(async () => {
  await run(process.execPath, [join(REPO, 'scripts/build.mjs'), '--outdir', OUT], { cwd: REPO });
});

test.after(() => {
  rmSync(OUT, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('the build writes its stamp and a runnable CLI that finds the repository from a chunk', async () => {
  const stamp = JSON.parse(readFileSync(join(OUT, 'BUILD.json'), 'utf8')) as { files: number };
  assert.ok(stamp.files > 100, JSON.stringify(stamp));
  const main = new URL(`file://${join(OUT, 'src/cli/main.js')}`).href;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(main)}); await main(['node', 'agent-suites', '--version']);`]);
  // The version comes from the repository's package.json (REPO_ROOT found from inside the bundle).
  assert.is(stdout.trim(), (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
});

test('the bundled builtin-lora runner trains on two kernel threads (worker entries resolve inside the bundle)', async () => {
  const model = await ensureTinyModel();
  const data = join(work, 'data.jsonl');
  writeFileSync(data, ['The capital of France is Paris.', 'Berlin is the capital of Germany.', 'Rome is the capital of Italy.']
    .map((text) => JSON.stringify({ text })).join('\n') + '\n');
  const spec = join(work, 'spec.json');
  writeFileSync(spec, JSON.stringify({
    model_id: 'tiny', model_path: model, data_path: data, out_dir: work, checkpoint_dir: join(work, 'ckpt'),
    hyperparameters: {
      rank: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj'], steps: 2, learning_rate: 0.01, batch_size: 1,
      gradient_accumulation: 1, warmup_steps: 0, max_grad_norm: 1, weight_decay: 0, seq_len: 32, seed: 1, checkpoint_every: 0, threads: 2,
    },
  }));
  const { stdout } = await run(process.execPath, [join(OUT, 'src/suites/adaptive-learning/trainers/runBuiltinLora.js'), spec], { timeout: 120_000 });
  const done = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'done');
  assert.ok(done, stdout);
  assert.is(done!.steps, 2);
  assert.is(done!.threads, 2);
  assert.ok(String(done!.adapter_path).startsWith(work));
});

test('a build is current until a source file is edited, added or removed', () => {
  const root = mkdtempSync(join(work, 'tree-'));
  for (const d of ['src', 'agents', 'contracts']) mkdirSync(join(root, d));
  writeFileSync(join(root, 'src', 'a.ts'), 'export {};\n');
  assert.is(buildIsCurrent(root), false); // no build yet
  mkdirSync(join(root, 'dist'));
  const stampNow = () => writeStamp(join(root, 'dist'), scanSources(root)); // what scripts/build.mjs writes
  stampNow();
  assert.is(buildIsCurrent(root), true);
  utimesSync(join(root, 'src', 'a.ts'), new Date(), new Date(Date.now() + 5000)); // edited
  assert.is(buildIsCurrent(root), false);
  stampNow();
  assert.is(buildIsCurrent(root), true);
  writeFileSync(join(root, 'src', 'b.ts'), 'export {};\n');
  utimesSync(join(root, 'src', 'b.ts'), new Date(0), new Date(0)); // added (an old file: the count tells)
  assert.is(buildIsCurrent(root), false);
  stampNow();
  assert.is(buildIsCurrent(root), true);
  rmSync(join(root, 'src', 'b.ts')); // removed
  assert.is(buildIsCurrent(root), false);
});

test.run();

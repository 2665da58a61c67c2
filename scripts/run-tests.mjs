#!/usr/bin/env node
// Runs every tests/**/*.test.ts in its own Node process (uvu files run themselves), a few at a
// time, and ends with the line CI reads: "N passed, N failed".
//   npm test                      all files
//   npm test -- tests/framework   only files under these paths (or matching these substrings)
// TEST_CONCURRENCY (default 2) and TEST_FILE_TIMEOUT_MS (default 240000) tune it.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const fileTimeout = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 240_000);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures' || name === 'helpers') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'tests'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt.replace(/^\.\//, ''))))
  .sort();

if (files.length === 0) {
  console.log('no test files matched');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// The trainer's optional native kernel, rebuilt when its source changed (tests/lora/nativeKernel.test.ts).
spawnSync(process.execPath, [join(root, 'scripts/buildNative.mjs'), '--if-stale'], { stdio: 'inherit' });

const results = [];
let next = 0;
const started = Date.now();

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, fileTimeout);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Anything the test left running in its process group goes too.
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
      const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
      const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      let p = 0, f = 0;
      if (Number.isFinite(total) && Number.isFinite(passed)) {
        p = passed;
        f = total - passed - skipped;
        if (code !== 0 && f === 0) f = 1; // crashed after the summary, or exited non-zero
      } else {
        f = 1; // no summary: the file crashed or timed out
      }
      if (timedOut) f = Math.max(f, 1);
      resolve({ file, passed: p, failed: f, skipped, code, timedOut, ms: Date.now() - t0, output: plain });
    });
  });
}

async function worker() {
  while (next < files.length) {
    const file = files[next++];
    const r = await runFile(file);
    results.push(r);
    const mark = r.failed ? 'FAIL' : 'ok  ';
    console.log(`${mark} ${r.file}  ${r.passed} passed${r.failed ? `, ${r.failed} failed` : ''}${r.skipped ? `, ${r.skipped} skipped` : ''}  (${(r.ms / 1000).toFixed(1)} s)${r.timedOut ? '  TIMED OUT' : ''}`);
  }
}

await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));

const failedFiles = results.filter((r) => r.failed);
for (const r of failedFiles) {
  console.log(`\n----- output of ${r.file} (exit ${r.code}${r.timedOut ? ', timed out' : ''}) -----`);
  console.log(r.output.split('\n').slice(-80).join('\n'));
}
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
const skipped = results.reduce((a, r) => a + r.skipped, 0);
console.log(`\n${results.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// scripts/buildNative.mjs on a copy of the repository's two files (it builds into the folder above
// its own, so the real build/loraKernels.node the other tests load is never touched): a machine
// without a compiler is told once, then left alone until the source changes; a compiler builds it.

const run = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'build-native-'));
mkdirSync(join(root, 'scripts'));
mkdirSync(join(root, 'native'));
copyFileSync(join(REPO, 'scripts/buildNative.mjs'), join(root, 'scripts/buildNative.mjs'));
copyFileSync(join(REPO, 'native/loraKernels.c'), join(root, 'native/loraKernels.c'));
const addon = join(root, 'build/loraKernels.node');
const skipped = join(root, 'build/loraKernels.skipped');

async function build(args: string[], cc?: string): Promise<string> {
  const env = { ...process.env };
  if (cc) env.CC = cc;
  const { stdout } = await run(process.execPath, [join(root, 'scripts/buildNative.mjs'), ...args], { env });
  return stdout;
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('without a compiler: one notice and a note, --if-stale then silent until the source changes; with one: the addon, the note gone', async () => {
  if (process.arch !== 'x64') return; // the script skips other CPUs before looking for a compiler
  const first = await build([], 'no-such-cc-here');
  assert.match(first, /native trainer kernel not built \(no C compiler "no-such-cc-here"\)/);
  assert.ok(existsSync(skipped) && !existsSync(addon));
  assert.is(await build(['--if-stale'], 'no-such-cc-here'), '', 'a recorded failure for this source is not retried by --if-stale');
  const later = new Date(Date.now() + 5000);
  utimesSync(join(root, 'native/loraKernels.c'), later, later);
  assert.match(await build(['--if-stale'], 'no-such-cc-here'), /not built/, 'a changed source is tried again');
  if (process.platform !== 'linux') return;
  const earlier = new Date(Date.now() - 60_000); // the source as it is in a checkout: older than what gets built
  utimesSync(join(root, 'native/loraKernels.c'), earlier, earlier);
  assert.match(await build([]), /built .*loraKernels\.node/);
  assert.ok(existsSync(addon) && !existsSync(skipped));
  assert.is(await build(['--if-stale']), '', 'an addon newer than its source is current');
});

test.run();

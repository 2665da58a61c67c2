import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { GpuBusyError, GpuLockDirectory } from '../../src/stores/locks/GpuLockDirectory.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

/**
 * GPU lockfiles shared between processes: claims add up to a capacity, a live holder in another
 * process blocks a model load with a clear "busy" error, and the claim of a dead process is
 * recovered.
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
const here = dirname(fileURLToPath(import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'mm-gpulock-'));
const children: ChildProcess[] = [];

/** Starts a process holding `mb` MiB of `capacity` in `dir`; resolves once it holds the claim. */
function holder(dir: string, mb: number, capacity: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'holdGpuLock.ts'), dir, String(mb), String(capacity)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().startsWith('held')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

test.after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

test('claims add up to the capacity; exclusive without one; release frees', async () => {
  const dir = join(scratch, 'unit');
  const locks = new GpuLockDirectory(dir, { capacityMb: 100 });
  const a = await locks.acquire({ owner: 'x', vramMb: 60 });
  const b = await locks.acquire({ owner: 'y', vramMb: 40 });
  try {
    await locks.acquire({ owner: 'z', vramMb: 1 });
    assert.unreachable('over capacity');
  } catch (err) {
    assert.instance(err, GpuBusyError);
    assert.match((err as Error).message, /^busy: /);
    assert.is((err as GpuBusyError).holders.length, 2);
  }
  b.release();
  b.release();
  const c = await locks.acquire({ owner: 'z', vramMb: 40 });
  assert.is((await locks.holders()).length, 2);
  a.release();
  c.release();
  const exclusive = new GpuLockDirectory(join(scratch, 'excl'));
  const only = await exclusive.acquire({ owner: 'one', vramMb: 1 });
  await rejects(exclusive.acquire({ owner: 'two', vramMb: 1 }), /held exclusively/);
  only.release();
  // waiting: a claim released during the wait is picked up
  const w1 = await locks.acquire({ owner: 'x', vramMb: 100 });
  setTimeout(() => w1.release(), 150);
  const w2 = await locks.acquire({ owner: 'y', vramMb: 100, timeoutMs: 5000, pollMs: 20 });
  w2.release();
});

test('a claim file of a dead process is removed on the next look', async () => {
  const dir = join(scratch, 'stale');
  const locks = new GpuLockDirectory(dir, { capacityMb: 100 });
  const dead = spawn(process.execPath, ['-e', '0']);
  await exited(dead);
  writeFileSync(
    join(dir, `ghost.${dead.pid}.x.gpulock`),
    JSON.stringify({ id: 'x', owner: 'ghost', pid: dead.pid, host: hostname(), vramMb: 100, createdAt: new Date().toISOString() }),
  );
  const h = await locks.acquire({ owner: 'me', vramMb: 100 });
  assert.equal(readdirSync(dir).filter((f) => f.includes('ghost')), []);
  h.release();
});

let s: TestSuite;

test('another live process holding the GPU blocks a load with "busy"; after it dies the load succeeds', async () => {
  const dir = join(scratch, 'shared');
  const path = await ensureTinyModel();
  s = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: {
      gpu: false,
      budget: { mb: 100 },
      gpu_lock: { dir, timeout_ms: 0, mode: 'always' },
      models: [{ id: 'tiny', path, context_size: 128, threads: 1, sequences: 1, estimated_vram_mb: 60 }],
    },
  });
  try {
    const training = await holder(dir, 60, 100);
    const busy = await s.call({ action: 'load_model', model_id: 'tiny' });
    assert.is(busy.status, 'error');
    assert.is(busy.loaded, false);
    assert.is(busy.code, 'GPU_BUSY');
    assert.match(busy.error, /^busy: .*AdaptiveLearningSuite pid \d+/);
    assert.equal((await s.call({ command: 'GET_LOADED_MODELS_STATUS' })).loaded_models, {});
    // the holder crashes: its lock file stays, but its pid is dead → recovered
    training.kill('SIGKILL');
    await exited(training);
    assert.ok(readdirSync(dir).some((f) => f.startsWith('AdaptiveLearningSuite.')), 'the dead holder left its file');
    const ok = await s.call({ action: 'load_model', model_id: 'tiny' });
    assert.is(ok.loaded, true);
    const files = readdirSync(dir).filter((f) => f.endsWith('.gpulock'));
    assert.is(files.length, 1);
    assert.match(files[0]!, /^ModelManagerSuite\./);
    // while the suite holds 60 of 100, a training process asking for 60 cannot start
    const locks = new GpuLockDirectory(dir);
    await rejects(locks.acquire({ owner: 'AdaptiveLearningSuite', vramMb: 60, capacityMb: 100 }), /busy/);
    await s.call({ action: 'unload_model', model_id: 'tiny' });
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.gpulock')), [], 'unload releases the claim');
  } finally {
    await s.close();
  }
});

test.run();

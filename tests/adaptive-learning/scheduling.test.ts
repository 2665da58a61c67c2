import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { GpuLockDirectory } from '../../src/stores/locks/GpuLockDirectory.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { trainerConfig, waitFor } from './trainerFixture.js';

// Priority queue, one job per GPU, and the GPU lock folder shared with ModelManagerSuite
// (gpu_claims: always, so the lock is exercised on this CPU-only machine too).

const EXAMPLES = [{ text: 'the quick brown fox jumps over the lazy dog' }];
const LONG = 5_000_000;

let suite: TestSuite;

async function start(extra: Record<string, unknown>): Promise<string> {
  const r = await suite.call({ action: 'training.start', model_id: 'tiny', examples: EXAMPLES, learning_rate: 0.1, ...extra });
  assert.is(r.status, 'success', JSON.stringify(r));
  return r.job_id as string;
}

async function state(jobId: string): Promise<any> {
  return (await suite.call({ action: 'training.status', job_id: jobId })).job;
}

test.before(async () => {
  suite = await startTestSuite('AdaptiveLearningSuite', { config: trainerConfig({ gpus: ['0', '1'], gpu_claims: 'always' }) });
});

test.after(async () => {
  await suite?.close();
});

test('one job per GPU; the rest wait in priority order, FIFO among equals', async () => {
  const a = await start({ steps: LONG, gpu: 0 });
  const b = await start({ steps: LONG, gpu: 1 });
  await waitFor('both GPUs busy', async () => (await state(a)).state === 'running' && (await state(b)).state === 'running');
  assert.is.not((await state(a)).gpu, (await state(b)).gpu);

  // Queued while both GPUs are busy: low, high, mid, and a second high (FIFO after the first).
  const low = await start({ steps: 50, priority: 1 });
  const high = await start({ steps: 50, priority: 9 });
  const mid = await start({ steps: 50, priority: 5 });
  const high2 = await start({ steps: 50, priority: 9 });
  const list = await suite.call({ action: 'training.status' });
  assert.equal(list.queue, [high, high2, mid, low], 'queue order');
  assert.equal(list.running.sort(), [a, b].sort());

  // Free one GPU: the queue drains through it one job at a time, best first.
  await suite.call({ action: 'training.stop', job_id: a });
  const order = [high, high2, mid, low];
  const done = await waitFor('queue drained', async () => {
    const jobs = await Promise.all(order.map(state));
    for (const j of jobs) assert.ok(j.state !== 'running' || j.gpu === '0', 'only the freed GPU takes queued jobs');
    return jobs.every((j) => j.state === 'succeeded') ? jobs : undefined;
  }, 30_000);
  const starts = done.map((j: any) => j.start_time);
  assert.equal([...starts].sort(), starts, `ran in priority order: ${starts.join(', ')}`);
  for (let i = 1; i < done.length; i++) assert.ok(done[i].start_time >= done[i - 1].end_time, 'never two at once on GPU 0');
  assert.is((await state(b)).state, 'running', 'GPU 1 kept its job throughout');
  await suite.call({ action: 'training.stop', job_id: b });
});

test('a job waits while ModelManagerSuite holds the GPU lock', async () => {
  const locks = new GpuLockDirectory(join(suite.dataDir, 'locks', 'gpu'));
  const held = await locks.acquire({ owner: 'ModelManagerSuite', vramMb: 4000, purpose: 'loading a model' });
  try {
    const j = await start({ steps: 50, gpu: 0 });
    await new Promise((r) => setTimeout(r, 600));
    assert.is((await state(j)).state, 'queued', 'no training on a GPU another suite holds');
    held.release();
    await waitFor('job to run after the lock is released', async () => (await state(j)).state === 'succeeded');
  } finally {
    held.release();
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite } from '../helpers/suiteHarness.js';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { startResourceManagerDouble } from '../fixtures/peers/ResourceManagerDouble.js';
import { jobEnded, trainerConfig, waitFor } from './trainerFixture.js';

// With `resource_manager.endpoint` configured, a GPU training job asks ResourceManagerSuite for
// its VRAM before it runs (legacy allocate_resources protocol), waits queued while refused, and
// gives the allocation back when it ends.
test('a GPU job waits for ResourceManagerSuite, runs once granted, and releases its allocation', async () => {
  const rm = await startResourceManagerDouble(0); // refuses everything at first
  const suite = await startTestSuite('AdaptiveLearningSuite', {
    redisUrl: false,
    config: trainerConfig({ training_vram_mb: 3000, resource_manager: { endpoint: rm.endpoint, timeout_ms: 2000 } }),
  });
  try {
    const start = await suite.call({ action: 'training.start', model_id: 'tiny', examples: [{ text: 'the quick brown fox' }], steps: 40, learning_rate: 0.1 });
    assert.is(start.status, 'success', JSON.stringify(start));
    const id = start.job_id as string;
    const status = async () => (await suite.call({ action: 'training.status', job_id: id })).job;

    const waiting = await waitFor('refused at least twice', async () => {
      const asks = rm.calls.filter((c) => c.action === 'allocate_resources' && c.resource_id.includes(`:${id}:`));
      return asks.length >= 2 ? status() : undefined;
    });
    assert.is(waiting.state, 'queued', 'refused: the job stays queued');
    assert.match(waiting.waiting_for, /ResourceManagerSuite refused 3000 MiB for .*Insufficient system resources/);
    const ask = rm.calls.find((c) => c.action === 'allocate_resources')!;
    assert.equal([ask.resource_type, ask.amount, ask.source_agent], ['vram_mb', 3000, 'AdaptiveLearningSuite']);

    rm.setCapacity(4000);
    const done = await waitFor('job succeeded', async () => {
      const j = await status();
      return j.state === 'succeeded' ? j : undefined;
    }, 30_000);
    assert.is(done.waiting_for, null);
    const granted = rm.calls.filter((c) => c.action === 'allocate_resources' && c.resource_id.includes(`:${id}:`)).at(-1)!;
    await waitFor('allocation released', () => rm.calls.some((c) => c.action === 'release_resources' && c.resource_id === granted.resource_id));
    assert.is(rm.held.size, 0, 'nothing left allocated');
  } finally {
    await suite.close();
    rm.close();
  }
});

test('a CPU trainer (builtin-lora) runs without asking ResourceManagerSuite', async () => {
  const rm = await startResourceManagerDouble(0); // would refuse anything
  const path = await ensureTinyModel();
  const suite = await startTestSuite('AdaptiveLearningSuite', {
    redisUrl: false,
    config: { models: { tiny: path }, default_trainer: 'builtin-lora', resource_manager: { endpoint: rm.endpoint }, lock_retry_ms: 100, evaluate_adapters: false },
  });
  try {
    const r = await suite.call({ action: 'training.start', model_id: 'tiny', examples: [{ text: 'the quick brown fox jumps over the lazy dog' }], steps: 2, seq_len: 16 });
    assert.is(r.status, 'success', JSON.stringify(r));
    const done = await jobEnded(suite, r.job_id, 60_000);
    assert.is(done.state, 'succeeded', done.error);
    assert.is(rm.calls.length, 0, 'no allocation asked for a CPU job');
  } finally {
    await suite.close();
    rm.close();
  }
});

test('an invalid resource_manager config is refused at start with the field named', async () => {
  let err: Error | undefined;
  try {
    const s = await startTestSuite('AdaptiveLearningSuite', { redisUrl: false, config: { resource_manager: { endpoint: '' } } });
    await s.close();
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, 'start fails');
  assert.match(err!.message, /resource_manager\.endpoint/);
});

test.run();

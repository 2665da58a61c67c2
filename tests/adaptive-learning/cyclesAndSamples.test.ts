import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { jobEnded, trainerConfig, waitFor } from './trainerFixture.js';

// SelfTrainingOrchestrator cycles that train, the resource queue they form, and the
// active-learning path (sample → label → trigger_finetune → job).

const EXAMPLES = [{ text: 'cycles reserve resources and train' }, { text: 'the next cycle starts when this one ends' }];
let suite: TestSuite;

test.before(async () => {
  suite = await startTestSuite('AdaptiveLearningSuite', { redisUrl: false, config: trainerConfig({ auto_train: false }) });
});

test.after(async () => {
  await suite?.close();
});

test('a training cycle runs its job, completes, and frees resources for the next queued cycle', async () => {
  const a = await suite.call({ action: 'create_cycle', agent_id: 'NLUAgent', priority: 2, config: { resources: { gpu: 70 }, model_id: 'tiny', examples: EXAMPLES, steps: 3000, learning_rate: 0.2 } });
  const b = await suite.call({ action: 'create_cycle', agent_id: 'TutorAgent', priority: 5, config: { resources: { gpu: 60 }, model_id: 'tiny', examples: EXAMPLES, steps: 50 } });
  const c = await suite.call({ action: 'create_cycle', agent_id: 'ChatAgent', priority: 1, config: { resources: { cpu: 10 } } });
  assert.is((await suite.call({ action: 'start_cycle', cycle_id: a.cycle_id })).message, 'Cycle started');
  // The queue starts pending cycles in priority order and stops at the first that does not fit
  // (legacy rule): b (priority 5, gpu 60) waits for a, and c (priority 1) waits behind b.
  assert.is((await suite.call({ action: 'get_status', cycle_id: b.cycle_id })).cycle.status, 'pending');
  assert.is((await suite.call({ action: 'get_status', cycle_id: c.cycle_id })).cycle.status, 'pending');
  assert.is((await suite.call({ action: 'start_cycle', cycle_id: b.cycle_id })).message, 'Insufficient resources');
  assert.match((await suite.call({ action: 'start_cycle', cycle_id: a.cycle_id })).message, /only a pending cycle can be started/);

  const doneA = await waitFor('cycle a to complete', async () => {
    const s = (await suite.call({ action: 'get_status', cycle_id: a.cycle_id })).cycle;
    return s.status === 'completed' || s.status === 'failed' ? s : undefined;
  }, 30_000);
  assert.is(doneA.status, 'completed', JSON.stringify(doneA));
  assert.is(doneA.progress, 1);
  assert.type(doneA.metrics.final_loss, 'number');
  assert.ok(doneA.end_time);

  const doneB = await waitFor('cycle b started by the queue and completed', async () => {
    const s = (await suite.call({ action: 'get_status', cycle_id: b.cycle_id })).cycle;
    return s.status === 'completed' ? s : undefined;
  }, 30_000);
  assert.ok(doneB.start_time >= doneA.end_time, 'b started only after a released its gpu share');
  const cRunning = (await suite.call({ action: 'get_status', cycle_id: c.cycle_id })).cycle;
  assert.is(cRunning.status, 'running', 'c followed b once the queue moved');
  assert.ok(cRunning.start_time >= doneA.end_time);

  const stopped = await suite.call({ action: 'training.stop', cycle_id: c.cycle_id });
  assert.is(stopped.state, 'cancelled', 'a plain reservation ends on stop');
  const health = await suite.callHealth();
  assert.is(health.active_cycles, 0);
});

test('active learning: a correction waits for a label; trigger_finetune trains on labelled samples', async () => {
  const r = await suite.call({ action: 'opportunities.ingest', user_input: "That's not the answer I wanted, the meeting is on Friday.", assistant_response: 'The meeting is on Monday.' });
  const sampleId = r.results[0].active_learning.sample_id;
  assert.is(r.results[0].active_learning.status, 'needs_label');
  const waiting = (await suite.call({ action: 'active_learning.samples', status: 'needs_label' })).samples;
  assert.equal(waiting.map((s: any) => s.id), [sampleId]);
  const labelled = await suite.call({ action: 'active_learning.label', sample_id: sampleId, label: 'The meeting is on Friday.' });
  assert.is(labelled.sample.status, 'labeled');

  const t = await suite.call({ action: 'trigger_finetune', model_to_tune: 'tiny', parameters: { epochs: 1, batch_size: 4, learning_rate: 0.3 } });
  assert.is(t.status, 'started', JSON.stringify(t));
  const job = await jobEnded(suite, t.job_id);
  assert.is(job.state, 'succeeded', JSON.stringify(job));
  const spec = JSON.parse(readFileSync(job.artifacts.adapter.replace(/adapter\.json$/, 'trainer-spec.json'), 'utf8'));
  assert.match(readFileSync(spec.data_path, 'utf8'), /Assistant: The meeting is on Friday\./, 'the label is the training target');
  assert.is((await suite.call({ action: 'active_learning.samples', status: 'used' })).samples[0].job_id, t.job_id);
  const again = await suite.call({ action: 'trigger_finetune' });
  assert.is(again.status, 'error');
  assert.match(again.error, /no ready or labelled samples/);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { Publisher } from 'zeromq';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { freePort } from '../helpers/ports.js';
import { jobEnded, trainerConfig, waitFor } from './trainerFixture.js';

// End to end: interactions on a SUB stream → opportunity scored and stored → LOS cycle → data set
// → fine-tuning job → trainer progress → succeeded → performance history and metrics.

let suite: TestSuite;
let pub: Publisher;

test.before(async () => {
  const port = await freePort();
  pub = new Publisher({ linger: 0 });
  await pub.bind(`tcp://127.0.0.1:${port}`);
  suite = await startTestSuite('AdaptiveLearningSuite', {
    config: trainerConfig({ interaction_endpoints: [`tcp://127.0.0.1:${port}`], los_hyperparameters: { steps: 400, learning_rate: 0.5, batch_size: 2, checkpoint_every: 100 } }),
  });
});

test.after(async () => {
  pub?.close();
  await suite?.close();
});

test('a published correction becomes a trained job', async () => {
  const correction = { type: 'interaction', user_input: "No, that's not right, it's actually Paris.", assistant_response: 'The capital of France is Berlin.' };
  const question = { type: 'interaction', user_input: 'What is the capital of Spain?', assistant_response: 'Madrid.' };
  // Wait until the SUB socket is connected (slow joiner), then publish the real traffic.
  await waitFor('subscription', async () => {
    await pub.send(JSON.stringify(question));
    return (await suite.call({ action: 'get_stats' })).stats.monitored_events > 0;
  });
  await pub.send(JSON.stringify(correction));

  const opp = await waitFor('the correction to be stored', async () => {
    const list = (await suite.call({ action: 'opportunities.list' })).opportunities as any[];
    return list.find((o) => o.category === 'explicit_correction');
  });
  assert.is(opp.score, 0.29999999999999993);
  const qa = (await suite.call({ action: 'opportunities.list', category: 'question_answer' })).opportunities;
  assert.equal(qa, [], 'a question with a short answer is not an opportunity');

  const cycles = await waitFor('a cycle with a job', async () => {
    const c = (await suite.call({ action: 'get_training_cycles' })).cycles as any[];
    return c.length && c[0].job_id ? c : undefined;
  });
  assert.equal(cycles[0].learning_opportunities, [opp.id]);
  const jobId = cycles[0].job_id as string;

  // Progress is visible while it runs or, if it was quick, in the final record.
  const done = await jobEnded(suite, jobId, 30_000);
  assert.is(done.state, 'succeeded', JSON.stringify(done));
  assert.is(done.progress.step, 400);
  assert.is(done.progress.total_steps, 400);
  assert.ok(done.final_loss < done.initial_loss, `loss fell: ${done.initial_loss} → ${done.final_loss}`);
  assert.ok(done.progress.tokens_per_second > 0);
  assert.ok(existsSync(done.artifacts.adapter), 'adapter written');
  const dataset = readFileSync(JSON.parse(readFileSync(done.artifacts.adapter.replace(/adapter\.json$/, 'trainer-spec.json'), 'utf8')).data_path, 'utf8');
  assert.match(dataset, /actually Paris/, 'the data set holds the detected interaction');

  const cycle = (await suite.call({ action: 'training.status', cycle_id: cycles[0].cycle_id })).cycle;
  assert.is(cycle.status, 'completed');
  assert.match(cycle.training_logs, /succeeded/);
  const stats = await suite.call({ action: 'get_stats' });
  assert.is(stats.metrics.cycles_completed, 1);
  assert.is((await suite.call({ action: 'get_top_opportunities' })).opportunities[0].processed, true);

  const perf = await suite.call({ action: 'evaluate.performance' });
  assert.is(perf.jobs.succeeded, 1);
  assert.is(perf.metric.samples, 1);
  assert.ok(perf.mean_loss_reduction > 0);

  const legacy = await suite.call({ action: 'get_status', job_id: jobId });
  assert.is(legacy.job.status, 'completed');
  assert.type(legacy.job.metrics.final_loss, 'number');

  const metrics = await suite.metricsText();
  assert.match(metrics, /adaptive_learning_job_transitions_total\{state="succeeded"[^}]*\} 1/);
  assert.match(metrics, /adaptive_learning_jobs\{state="succeeded"[^}]*\} 1/);
});

test('the same exchange again is de-duplicated', async () => {
  const r = await suite.call({ action: 'opportunities.ingest', user_input: "No, that's not right, it's actually Paris.", assistant_response: 'The capital of France is Berlin.' });
  assert.is(r.results[0].saved, false);
  assert.is(r.results[0].duplicate, true);
});

test('progress gauges while a job runs', async () => {
  const r = await suite.call({ action: 'training.start', model_id: 'tiny', examples: [{ text: 'abcabcabc' }], steps: 5_000_000 });
  assert.is(r.status, 'success', JSON.stringify(r));
  const running = await waitFor('progress', async () => {
    const s = (await suite.call({ action: 'training.status', job_id: r.job_id })).job;
    return s.state === 'running' && s.progress.step > 0 ? s : undefined;
  });
  assert.ok(running.progress.eta_seconds > 0);
  const text = await suite.metricsText();
  assert.match(text, new RegExp(`adaptive_learning_training_step\\{job_id="${r.job_id}",gpu="0"[^}]*\\} \\d+`));
  const stopped = await suite.call({ action: 'training.stop', job_id: r.job_id });
  assert.is(stopped.state, 'cancelled');
  assert.not.match(await suite.metricsText(), new RegExp(`adaptive_learning_training_step\\{job_id="${r.job_id}"`));
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { jobEnded, trainerConfig, waitFor } from './trainerFixture.js';

// Cancel really stops the trainer; bad input gives clear errors or failed jobs with their log,
// and never a stuck queue.

const EXAMPLES = [{ text: 'a stitch in time saves nine' }, { input: 'Hi', output: 'Hello!' }];
let suite: TestSuite;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function state(jobId: string): Promise<any> {
  return (await suite.call({ action: 'training.status', job_id: jobId })).job;
}

test.before(async () => {
  suite = await startTestSuite('AdaptiveLearningSuite', {
    config: trainerConfig({
      stall_timeout_s: 3,
      startup_timeout_s: 5,
      trainers: {
        external: {
          command: [process.execPath, new URL('../fixtures/trainers/bigramTrainer.mjs', import.meta.url).pathname, '{spec_file}'],
          kill_grace_ms: 1000,
        },
      },
    }),
  });
});

test.after(async () => {
  await suite?.close();
});

test('cancel mid-run kills the trainer process; the next job completes', async () => {
  const created = await suite.call({ action: 'create_job', model_id: 'tiny', config: { examples: EXAMPLES, steps: 5_000_000, learning_rate: 0.1 } });
  assert.is(created.status, 'success');
  const id = created.job_id;
  assert.is((await suite.call({ action: 'start_job', job_id: id })).message, 'Job started');
  const running = await waitFor('running with progress', async () => {
    const j = await state(id);
    return j.state === 'running' && j.pid && j.progress.step > 0 ? j : undefined;
  });
  assert.ok(alive(running.pid));
  const stopped = await suite.call({ action: 'training.stop', job_id: id });
  assert.is(stopped.state, 'cancelled');
  assert.not.ok(alive(running.pid), 'trainer process is gone when stop returns');
  const after = await state(id);
  const stepAtStop = after.progress.step;
  await new Promise((r) => setTimeout(r, 300));
  assert.is((await state(id)).progress.step, stepAtStop, 'no progress after cancel');
  assert.match(readFileSync(after.log_path, 'utf8'), /stop requested/);
  assert.is((await suite.call({ action: 'get_status', job_id: id })).job.status, 'cancelled');

  const next = await suite.call({ action: 'training.start', model_id: 'tiny', examples: EXAMPLES, steps: 200, learning_rate: 0.5 });
  const done = await jobEnded(suite, next.job_id);
  assert.is(done.state, 'succeeded', JSON.stringify(done));
});

test('cancelling a queued job removes it from the queue', async () => {
  const blocker = await suite.call({ action: 'training.start', model_id: 'tiny', examples: EXAMPLES, steps: 5_000_000 });
  const waiting = await suite.call({ action: 'training.start', model_id: 'tiny', examples: EXAMPLES, steps: 10 });
  await waitFor('blocker running', async () => (await state(blocker.job_id)).state === 'running');
  assert.is((await state(waiting.job_id)).state, 'queued');
  assert.is((await suite.call({ action: 'training.stop', job_id: waiting.job_id })).state, 'cancelled');
  assert.equal((await suite.call({ action: 'training.status' })).queue, []);
  await suite.call({ action: 'training.stop', job_id: blocker.job_id });
});

test('bad input: unknown job, invalid hyper-parameters, unknown trainer', async () => {
  assert.is((await suite.call({ action: 'start_job', job_id: 'job_1_nothing' })).message, 'Job not found');
  assert.is((await suite.call({ action: 'get_status', job_id: 'job_1_nothing' })).message, 'Job not found');
  assert.match((await suite.call({ action: 'training.stop', job_id: 'nope' })).message, /Job not found/);
  const bad = await suite.call({ action: 'create_job', model_id: 'tiny', config: { r: -2, learning_rate: 'fast', lora_dropout: 1.5, threads: 0 } });
  assert.is(bad.status, 'error');
  assert.match(bad.message, /^Invalid hyper-parameters: /);
  assert.match(bad.message, /r must be ≥ 1 \(got -2\)/);
  assert.match(bad.message, /learning_rate must be a number \(got "fast"\)/);
  assert.match(bad.message, /lora_dropout must be < 1 \(got 1.5\)/);
  assert.match(bad.message, /threads must be ≥ 1 \(got 0\)/);
  const t = await suite.call({ action: 'training.start', model_id: 'tiny', examples: EXAMPLES, trainer: 'deepspeed' });
  assert.match(t.message, /Unknown trainer "deepspeed"/);
  const f = await suite.call({ action: 'trigger_finetune', data_source: 'training_data/none.json', model_to_tune: 'current_model' });
  assert.is(f.status, 'error');
  assert.match(f.error, /data_source not found/);
});

test('a missing data file and a crashing trainer fail the job with its log; the queue moves on', async () => {
  const missing = await suite.call({ action: 'training.start', model_id: 'tiny', data_path: 'nonexistent/data.jsonl' });
  const f1 = await waitFor('failed', async () => ((await state(missing.job_id)).state === 'failed' ? state(missing.job_id) : undefined));
  assert.match(f1.error, /data file not found/);

  // An empty data set makes the trainer exit 2 with a message on stderr.
  const crash = await suite.call({ action: 'training.start', model_id: 'tiny', examples: [{ text: 'x' }], steps: 5 });
  const f2 = await waitFor('failed', async () => ((await state(crash.job_id)).state === 'failed' ? state(crash.job_id) : undefined));
  assert.match(f2.error, /trainer exited with code 2: data set has no character pairs/);
  assert.match(readFileSync(f2.log_path, 'utf8'), /\[stderr\] data set has no character pairs/);
});

test('a hanging trainer is killed by the watchdog and fails; the queue moves on', async () => {
  // The test trainer stops talking (and never exits) for a model named "hang" — a hung trainer.
  const hang = await suite.call({ action: 'training.start', model_id: 'hang', examples: EXAMPLES, steps: 10 });
  const running = await waitFor('hung trainer running', async () => {
    const j = await state(hang.job_id);
    return j.state === 'running' && j.pid ? j : undefined;
  });
  const failed = await waitFor('stall detected', async () => {
    const j = await state(hang.job_id);
    return j.state === 'failed' ? j : undefined;
  });
  assert.match(failed.error, /no progress within 5 s of starting and was killed/);
  assert.not.ok(alive(running.pid), 'hung process killed');
  const after = await suite.call({ action: 'training.start', model_id: 'tiny', examples: EXAMPLES, steps: 20 });
  await waitFor('queue not stuck', async () => (await state(after.job_id)).state === 'succeeded');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Publisher } from 'zeromq';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { reqOnce, startTinyModelManager, type TestSuite } from '../helpers/suiteHarness.js';
import { freePort } from '../helpers/ports.js';
import { adapterEvaluation, jobEnded, waitFor } from '../adaptive-learning/trainerFixture.js';

// The whole continual-learning loop in one run, against real processes: interactions published
// on a SUB endpoint → opportunity scored and stored → data set → job scheduled → builtin-lora
// trainer reports progress → stopped mid-run → a second job on that data set completes → its
// adapter is evaluated through a running ModelManagerSuite and registered there → a third job is
// interrupted by a crash of the suite (SIGKILL) → after the restart it is `interrupted` → resumed
// from its checkpoint → succeeded.

const dataRoot = mkdtempSync(join(tmpdir(), 'al-e2e-'));
const SUITE_PROCESS = fileURLToPath(new URL('../adaptive-learning/suiteProcess.ts', import.meta.url));
let mm: TestSuite;
let pub: Publisher;
let child: ChildProcess | undefined;
let endpoint = '';
let config: Record<string, unknown>;
let peers: Record<string, string>;

async function call(req: Record<string, unknown>): Promise<any> {
  return JSON.parse((await reqOnce(endpoint, Buffer.from(JSON.stringify(req)), 10_000)).toString());
}

async function job(id: string): Promise<any> {
  return (await call({ action: 'training.status', job_id: id })).job;
}

/** What a job looks like now and the end of its trainer log, for a timeout's error message. */
async function describeJob(id: string): Promise<string> {
  const j = await job(id);
  let log = '';
  try { log = readFileSync(j.log_path, 'utf8').split('\n').slice(-25).join('\n'); } catch (e) { log = `(log unreadable: ${(e as Error).message})`; }
  return `job: ${JSON.stringify(j)}\ntrain.log tail:\n${log}`;
}

/** Starts AdaptiveLearningSuite in its own process (so it can be SIGKILLed) on the shared data root. */
async function startLearningSuite(): Promise<void> {
  child = spawn(process.execPath, ['--import', 'tsx', SUITE_PROCESS, dataRoot, JSON.stringify(config), JSON.stringify(peers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'test', REDIS_URL: 'none' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child!.stdout! }).once('line', resolve);
    child!.once('exit', (code) => reject(new Error(`AdaptiveLearningSuite exited early (${code})`)));
  });
  endpoint = (JSON.parse(line) as { endpoint: string }).endpoint;
}

test.before(async () => {
  const path = await ensureTinyModel();
  mm = await startTinyModelManager(dataRoot);
  const port = await freePort();
  pub = new Publisher({ linger: 0 });
  await pub.bind(`tcp://127.0.0.1:${port}`);
  peers = { ModelManagerSuite: mm.endpoint };
  config = {
    models: { tiny: path }, base_model: 'tiny', default_trainer: 'builtin-lora', interaction_endpoints: [`tcp://127.0.0.1:${port}`],
    // Jobs born from opportunities: long enough to be stopped while they run.
    los_hyperparameters: { steps: 20_000, seq_len: 16, learning_rate: 0.01, checkpoint_every: 100 },
    stall_timeout_s: 60, lock_retry_ms: 100,
  };
  await startLearningSuite();
});

test.after(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  pub?.close();
  await mm?.close();
  rmSync(dataRoot, { recursive: true, force: true });
});

test('published interactions → opportunity → job → stop → second job → adapter registered → crash → resume', async () => {
  // 1. Interactions on the stream; a correction is detected, scored and stored.
  const question = { type: 'interaction', user_input: 'What is the capital of Spain?', assistant_response: 'Madrid.' };
  await waitFor('subscription', async () => {
    await pub.send(JSON.stringify(question));
    return (await call({ action: 'get_stats' })).stats.monitored_events > 0;
  });
  await pub.send(JSON.stringify({ type: 'interaction', user_input: "No, that's not right, it's actually Paris.", assistant_response: 'The capital of France is Berlin.' }));
  const opp = await waitFor('opportunity stored', async () =>
    ((await call({ action: 'opportunities.list' })).opportunities as any[]).find((o) => o.category === 'explicit_correction'));
  assert.ok(opp.score > 0);

  // 2. It becomes a data set and a scheduled job, whose trainer reports progress.
  const cycle = await waitFor('cycle with a job', async () => {
    const c = (await call({ action: 'get_training_cycles' })).cycles as any[];
    return c.find((x) => x.job_id && x.learning_opportunities.includes(opp.id));
  });
  const first = cycle.job_id as string;
  const running = await waitFor('progress', async () => {
    const j = await job(first);
    return j.state === 'running' && j.progress.step > 0 ? j : undefined;
  }, 30_000);
  assert.ok(running.progress.tokens_per_second > 0 && running.progress.eta_seconds > 0);
  const spec = JSON.parse(readFileSync(join(dirname(running.log_path), 'trainer-spec.json'), 'utf8'));
  assert.match(readFileSync(spec.data_path, 'utf8'), /actually Paris/, 'the data set holds the detected interaction');

  // 3. Stopped mid-run.
  const stopped = await call({ action: 'training.stop', job_id: first });
  assert.is(stopped.state, 'cancelled');
  assert.ok((await job(first)).progress.step < 20_000);

  // 4. A second job on that data set completes; its adapter is judged by ModelManagerSuite.
  const second = await call({ action: 'training.start', model_id: 'tiny', data_path: spec.data_path, steps: 40, seq_len: 16, learning_rate: 0.02 });
  assert.is(second.status, 'success', JSON.stringify(second));
  const done = await jobEnded({ call }, second.job_id, 60_000, () => describeJob(second.job_id));
  assert.is(done.state, 'succeeded', JSON.stringify(done));
  assert.ok(done.final_loss < done.initial_loss, `loss fell: ${done.initial_loss} → ${done.final_loss}`);
  const evaluation = await adapterEvaluation({ call }, second.job_id, 60_000);
  assert.is(evaluation.decision, 'registered', JSON.stringify(evaluation));
  assert.ok(evaluation.after_value < evaluation.before_value, 'perplexity on the correction fell');
  const listed = ((await mm.call({ action: 'models.list' })).models as any[]).map((m) => m.model_id);
  assert.ok(listed.some((id) => id.includes(second.job_id)), `ModelManagerSuite serves the adapter: ${listed.join(', ')}`);

  // 5. A third job is running when the suite crashes; it comes back interrupted and resumes.
  const third = await call({ action: 'training.start', model_id: 'tiny', data_path: spec.data_path, steps: 150, seq_len: 16, learning_rate: 0.01, checkpoint_every: 50 });
  const checkpointed = await waitFor('a checkpoint', async () => {
    const j = await job(third.job_id);
    return j.checkpoint_path && j.progress.step >= 50 ? j : undefined;
  }, 30_000, 50, () => describeJob(third.job_id));
  child!.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));
  await startLearningSuite();
  const back = await job(third.job_id);
  assert.is(back.state, 'interrupted');
  assert.ok(back.progress.step >= 50, 'stored progress kept');
  const resumed = await call({ action: 'start_job', job_id: third.job_id });
  assert.is(resumed.resumed, true, JSON.stringify(resumed));
  // Two test files share two cores in CI; the wait is generous, and a timeout says where the job was.
  const finished = await jobEnded({ call }, third.job_id, 120_000, () => describeJob(third.job_id));
  assert.is(finished.state, 'succeeded', JSON.stringify(finished));
  assert.is(finished.attempts, 2);
  assert.is(finished.progress.step, 150);
  assert.ok(checkpointed.progress.step > 0);
});

test.run();

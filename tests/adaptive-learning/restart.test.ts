import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { reqOnce, startTestSuite } from '../helpers/suiteHarness.js';
import { jobEnded, trainerConfig, waitFor } from './trainerFixture.js';

// Jobs survive the suite: a job running when the suite process dies comes back `interrupted`,
// its orphaned trainer is stopped, and it resumes from its last checkpoint.

const EXAMPLES = [{ text: 'jobs survive restarts of the suite' }, { text: 'checkpoints make resuming cheap' }];
const config = trainerConfig();
const dataDir = mkdtempSync(join(tmpdir(), 'al-restart-'));
let child: ChildProcess | undefined;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function call(endpoint: string, req: Record<string, unknown>): Promise<any> {
  return JSON.parse((await reqOnce(endpoint, Buffer.from(JSON.stringify(req)))).toString());
}

test.after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('crash mid-job → interrupted → resumed from checkpoint → succeeded', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./suiteProcess.ts', import.meta.url)), dataDir, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'test' },
  });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child!.stdout! }).once('line', resolve);
    child!.once('exit', (code) => reject(new Error(`suite process exited early (${code})`)));
  });
  const { endpoint } = JSON.parse(first) as { endpoint: string };
  const started = await call(endpoint, { action: 'training.start', model_id: 'tiny', examples: EXAMPLES, steps: 24_000, checkpoint_every: 2_000, learning_rate: 0.2, batch_size: 1, seq_len: 64 });
  assert.is(started.status, 'success', JSON.stringify(started));
  const jobId = started.job_id as string;
  const before = await waitFor('a checkpoint', async () => {
    const j = (await call(endpoint, { action: 'training.status', job_id: jobId })).job;
    return j.checkpoint_path && j.progress.step >= 6_000 ? j : undefined;
  }, 30_000);
  const trainerPid = before.pid as number;

  child.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));
  assert.ok(alive(trainerPid), 'the trainer outlives the crashed suite (own process group)');

  const suite = await startTestSuite('AdaptiveLearningSuite', { dataDir, config });
  try {
    const back = (await suite.call({ action: 'training.status', job_id: jobId })).job;
    assert.is(back.state, 'interrupted');
    assert.ok(back.progress.step > 0, 'stored progress kept');
    await waitFor('orphaned trainer stopped', () => !alive(trainerPid), 5_000);
    assert.is((await suite.call({ action: 'get_status', job_id: jobId })).job.status, 'interrupted');

    const resumed = await suite.call({ action: 'start_job', job_id: jobId });
    assert.equal([resumed.status, resumed.message, resumed.resumed], ['success', 'Job started', true]);
    const done = await jobEnded(suite, jobId, 30_000);
    assert.is(done.state, 'succeeded', JSON.stringify(done));
    assert.is(done.attempts, 2);
    assert.is(done.progress.step, 24_000);
    const log = readFileSync(done.log_path, 'utf8');
    const m = /resumed from \S+ at step (\d+)/.exec(log);
    assert.ok(m, 'trainer resumed from its checkpoint');
    assert.ok(Number(m![1]) >= 2_000, `resumed at step ${m![1]}, not from scratch`);
  } finally {
    await suite.close();
  }
});

test('graceful shutdown leaves the job interrupted; resume_interrupted re-queues it at start', async () => {
  const s1 = await startTestSuite('AdaptiveLearningSuite', { dataDir, config });
  const { job_id } = await s1.call({ action: 'training.start', model_id: 'tiny', examples: EXAMPLES, steps: 16_000, checkpoint_every: 2_000, learning_rate: 0.2, batch_size: 1, seq_len: 64 });
  await waitFor('checkpoint', async () => (await s1.call({ action: 'training.status', job_id })).job.checkpoint_path);
  await s1.close({ keepData: true });
  const s2 = await startTestSuite('AdaptiveLearningSuite', { dataDir, config: { ...config, resume_interrupted: true } });
  try {
    const done = await waitFor('auto-resumed job to finish', async () => {
      const j = (await s2.call({ action: 'training.status', job_id })).job;
      return j.state === 'succeeded' ? j : undefined;
    }, 30_000);
    assert.is(done.attempts, 2);
    assert.match(readFileSync(done.log_path, 'utf8'), /resumed from/);
  } finally {
    await s2.close({ keepData: true });
  }
});

test.run();

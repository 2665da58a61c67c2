import { fileURLToPath } from 'node:url';

/** argv of the test trainer (a real SGD trainer process, tests/fixtures/trainers/bigramTrainer.mjs). */
// Under `nice` so busy trainers leave CPU to the suite and the test on a 2-core machine.
export const BIGRAM_TRAINER = ['nice', '-n', '15', process.execPath, fileURLToPath(new URL('../fixtures/trainers/bigramTrainer.mjs', import.meta.url)), '{spec_file}'];

/** Suite config using the test trainer through the `external` backend. */
export function trainerConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trainers: { external: { command: BIGRAM_TRAINER, kill_grace_ms: 2000 } },
    default_trainer: 'external',
    stall_timeout_s: 30,
    lock_retry_ms: 100,
    ...extra,
  };
}

/** Polls `fn` until it returns something truthy; on timeout the error carries `explain()`'s text. */
export async function waitFor<T>(
  what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 50,
  explain?: () => Promise<string> | string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) {
      const why = explain ? await Promise.resolve().then(explain).catch((e: unknown) => `(no explanation: ${String(e)})`) : '';
      throw new Error(`timed out waiting for ${what}${why ? `\n${why}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Anything that sends one request to a suite and returns its parsed reply (a TestSuite, or `{ call }`). */
interface Caller { call(req: Record<string, unknown>): Promise<any> }

/** Polls `training.status` until the job has ended (succeeded, failed or cancelled); returns it. */
export function jobEnded(suite: Caller, jobId: string, timeoutMs = 20_000, explain?: () => Promise<string> | string): Promise<any> {
  return waitFor(`job ${jobId} to end`, async () => {
    const j = (await suite.call({ action: 'training.status', job_id: jobId })).job;
    return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
  }, timeoutMs, 100, explain);
}

/** Polls `evaluate.performance` until the evaluation of the adapter trained by `jobId` is stored. */
export function adapterEvaluation(suite: Caller, jobId: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(`evaluation of ${jobId}'s adapter`, async () =>
    ((await suite.call({ action: 'evaluate.performance' })).adapter_evaluations as any[]).find((e) => e.job_id === jobId), timeoutMs, 100);
}

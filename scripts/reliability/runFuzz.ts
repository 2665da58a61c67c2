import { ZmqClient } from '../../src/transport/ZmqClient.js';
import { fuzzFrames, type DescribedAction } from './fuzzFrames.js';

export interface FuzzResult {
  sent: number;
  answered: number;
  errors: number;
  unanswered: number;
  byStatus: Record<string, number>;
  rssSamples: number[];
}

/** Fetches the actions a running suite serves (suite.describe) in the fuzzer's shape. */
export async function describedActions(endpoint: string): Promise<DescribedAction[]> {
  const c = new ZmqClient(endpoint, { timeoutMs: 10_000 });
  try {
    const d = await c.request({ action: 'suite.describe' });
    return (d.agents as Array<{ name: string; actions: Array<{ name: string; fields: Record<string, string> }> }>).flatMap((a) =>
      a.actions.map((x) => ({ agent: a.name, name: x.name, fields: x.fields })),
    );
  } finally {
    c.close();
  }
}

/**
 * Sends `count` malformed frames with `concurrency` in flight and checks each gets an answer.
 * `sampleRss` is called every 1000 frames (e.g. to read the server's /proc status).
 */
export async function runFuzz(
  endpoint: string,
  opts: { count: number; concurrency?: number; seed?: number; timeoutMs?: number; sampleRss?: () => number; skipActions?: RegExp },
): Promise<FuzzResult> {
  const actions = (await describedActions(endpoint)).filter((a) => !opts.skipActions?.test(a.name));
  const client = new ZmqClient(endpoint, { timeoutMs: opts.timeoutMs ?? 30_000 });
  const frames = fuzzFrames(actions, opts.count, opts.seed ?? 1);
  const result: FuzzResult = { sent: 0, answered: 0, errors: 0, unanswered: 0, byStatus: {}, rssSamples: [] };
  const worker = async () => {
    for (;;) {
      const next = frames.next();
      if (next.done) return;
      result.sent++;
      if (opts.sampleRss && result.sent % 1000 === 0) result.rssSamples.push(opts.sampleRss());
      try {
        const reply = await client.request(next.value);
        result.answered++;
        const status = reply && typeof reply === 'object' ? String((reply as Record<string, unknown>).status) : typeof reply;
        result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      } catch {
        result.unanswered++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency ?? 32 }, worker));
  } finally {
    client.close();
  }
  if (opts.sampleRss) result.rssSamples.push(opts.sampleRss());
  return result;
}

// The request mix of `npm run soak`: one weighted list of operations per suite, and the counters
// and latency figures the summary prints.
import { randomBytes } from 'node:crypto';
import { LatencyHistogram } from '../bench/LatencyHistogram.js';
import type { ZmqClient } from '../../src/transport/ZmqClient.js';

export type SuiteName = 'MemoryHub' | 'ModelManagerSuite' | 'AdaptiveLearningSuite';

export interface Op {
  name: string;
  weight: number;
  /** Sends one request; returns the reply (an object with `status`). */
  run: (c: ZmqClient) => Promise<Record<string, unknown>>;
}

/** State the operations share: acknowledged memory ids (checked after every restart). */
export class SoakState {
  readonly memories = new Map<string, string>();
  /** Cache keys that were put (gets read only these, so a miss is a real failure). */
  readonly cacheKeys: string[] = [];
  private seq = 0;
  next(): number {
    return ++this.seq;
  }
  anyMemory(): string | undefined {
    if (this.memories.size === 0) return undefined;
    const i = Math.floor(Math.random() * this.memories.size);
    let k = 0;
    for (const id of this.memories.keys()) if (k++ === i) return id;
    return undefined;
  }
}

export function operations(state: SoakState): Record<SuiteName, Op[]> {
  return {
    MemoryHub: [
      {
        name: 'add_memory',
        weight: 4,
        run: async (c) => {
          const content = `soak memory ${state.next()} ${randomBytes(3).toString('hex')}`;
          const r = await c.request({ action: 'add_memory', data: { content, memory_type: 'soak' } });
          if (r.status === 'success') state.memories.set(r.memory_id, content);
          return r;
        },
      },
      {
        name: 'get_memory',
        weight: 4,
        run: (c) => c.request({ action: 'get_memory', data: { memory_id: state.anyMemory() ?? 'none-yet' } }),
      },
      { name: 'search_memory', weight: 1, run: (c) => c.request({ action: 'search_memory', data: { query: 'soak memory', limit: 5 } }) },
      {
        name: 'cache put',
        weight: 2,
        run: async (c) => {
          const key = `k${state.next() % 50}`;
          const r = await c.request({ action: 'put', cache_type: 'soak', key, value: { n: state.next() }, ttl: 3600 });
          if (r.status === 'success' && !state.cacheKeys.includes(key)) state.cacheKeys.push(key);
          return r;
        },
      },
      {
        name: 'cache get',
        weight: 4,
        run: (c) => c.request({ action: 'get', cache_type: 'soak', key: state.cacheKeys[Math.floor(Math.random() * state.cacheKeys.length)] ?? 'k0' }),
      },
      { name: 'kv.set', weight: 1, run: (c) => c.request({ action: 'kv.set', key: `soak${state.next() % 20}`, value: state.next() }) },
    ],
    ModelManagerSuite: [
      { name: 'generate_text', weight: 1, run: (c) => c.request({ action: 'generate_text', model_id: 'tiny', prompt: 'soak', max_tokens: 24 }, { timeoutMs: 30_000 }) },
      { name: 'models.list', weight: 2, run: (c) => c.request({ action: 'models.list' }) },
      { name: 'ping', weight: 3, run: (c) => c.request({ action: 'ping' }) },
    ],
    AdaptiveLearningSuite: [
      { name: 'create_cycle', weight: 1, run: (c) => c.request({ action: 'create_cycle', agent_id: `Soak${state.next()}`, priority: 1, config: { resources: { gpu: 1 } } }) },
      { name: 'training.status', weight: 3, run: (c) => c.request({ action: 'training.status', limit: 5 }) },
      {
        name: 'opportunities.ingest',
        weight: 2,
        run: (c) => c.request({ action: 'opportunities.ingest', user_input: `question ${state.next()}`, assistant_response: 'No, that is wrong, the answer is 4.' }),
      },
      { name: 'evaluate.performance', weight: 1, run: (c) => c.request({ action: 'evaluate.performance' }) },
    ],
  };
}

export function pick(ops: Op[]): Op {
  const total = ops.reduce((n, o) => n + o.weight, 0);
  let x = Math.random() * total;
  for (const o of ops) if ((x -= o.weight) < 0) return o;
  return ops[ops.length - 1]!;
}

/** Per-suite counters: replies by status, requests lost while the suite was down, latencies. */
export class SuiteStats {
  requests = 0;
  ok = 0;
  errorReplies = 0;
  /** No reply in time: the suite was being killed / restarted. */
  unavailable = 0;
  /** No reply in time while the suite was up: counted against it. */
  timeouts = 0;
  readonly latency = new LatencyHistogram();
  readonly rss: Array<{ t: number; mb: number }> = [];
  readonly errorsByOp = new Map<string, number>();
}

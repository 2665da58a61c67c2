import type { BenchContext } from '../BenchContext.js';
import { closedLoop } from '../loadGenerator.js';
import { isSuccess, suiteChild } from '../servers.js';
import { sentence } from '../syntheticText.js';
import { rawMemoryHubRate, rawSqliteRate } from '../rawSqlite.js';

const BATCH = 100;

/** `add_memory` (one durable commit per request) and `batch_add_memories` (100 per request), per second. */
export async function durableWrites(ctx: BenchContext): Promise<void> {
  let endpoint: string;
  try {
    endpoint = (await suiteChild(ctx, 'MemoryHub')).endpoint;
  } catch (err) {
    ctx.skip('durable writes: MemoryHub add_memory', 'writes/s', (err as Error).message);
    ctx.skip('durable writes: MemoryHub batch_add_memories', 'memories/s', (err as Error).message);
    return;
  }
  const durationMs = ctx.quick ? 700 : 4000;
  const run = `${Date.now().toString(36)}`;

  // The raw baselines run first, while the hub is idle (it embeds new memories in the background).
  const rawSingle = rawSqliteRate(durationMs, 1);
  const rawBatch = rawSqliteRate(durationMs, BATCH);
  const rawSingleHub = rawMemoryHubRate(durationMs, 1);
  const single = await closedLoop({
    endpoint,
    inFlight: 16,
    durationMs,
    check: isSuccess,
    body: (i) => Buffer.from(JSON.stringify({ action: 'add_memory', content: sentence(i), memory_type: 'bench', tags: ['bench', run] })),
  });
  const errs1 = single.errors + single.timeouts;
  ctx.add({
    name: 'durable writes: MemoryHub add_memory', metric: 'writes/s (16 in flight)', value: single.throughput, unit: 'writes/s',
    baseline_name: 'raw SQLite insert, 1 row/commit (WAL, FULL)', baseline_value: rawSingle,
    // Issue 20: group commit puts concurrent writes in one transaction and one sync.
    target: 'ratio >= 1.0', met: single.throughput >= rawSingle && errs1 === 0,
    ...(errs1 ? { note: `${errs1} error/timeout replies` } : {}),
  });
  // The baseline above fills a four-column table with one index; the hub's table also feeds FTS5
  // (porter tokenizer), eight b-trees and the vector queue on every row. Same rows, same schema:
  ctx.add({
    name: 'durable writes: MemoryHub add_memory vs same schema', metric: 'writes/s (16 in flight)', value: single.throughput, unit: 'writes/s',
    baseline_name: "raw SQLite insert into MemoryHub's schema, 1 row/commit (WAL, FULL)", baseline_value: rawSingleHub,
    target: 'ratio >= 1.0 (informational)', met: single.throughput >= rawSingleHub && errs1 === 0,
  });
  ctx.add({ name: 'durable writes: MemoryHub add_memory', metric: 'p99 latency (16 in flight)', value: single.p99_ms, unit: 'ms', baseline_name: null, baseline_value: null });

  const batch = await closedLoop({
    endpoint,
    inFlight: 4,
    durationMs,
    check: isSuccess,
    body: (i) => {
      const memories = Array.from({ length: BATCH }, (_, j) => ({ content: sentence(1_000_000 + i * BATCH + j), memory_type: 'bench', tags: ['bench-batch'] }));
      return Buffer.from(JSON.stringify({ action: 'batch_add_memories', memories }));
    },
  });
  const errs2 = batch.errors + batch.timeouts;
  ctx.add({
    name: 'durable writes: MemoryHub batch_add_memories', metric: `memories/s (${BATCH} per request, 4 in flight)`, value: batch.throughput * BATCH, unit: 'memories/s',
    baseline_name: `raw SQLite insert, ${BATCH} rows/commit`, baseline_value: rawBatch,
    ...(errs2 ? { note: `${errs2} error/timeout replies` } : {}),
  });
}

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ZmqClient } from '../../src/transport/ZmqClient.js';
import { spawnSuite, type SuiteProcess } from '../helpers/suiteProcess.js';

// Group commit through the whole request path (issue 20): MemoryHub runs in its own process, so
// a reply sent before its COMMIT would reach this process while the row is still invisible to
// another connection. Every acknowledged add_memory must already be in the file when its reply
// arrives, and concurrent writes must have shared commits.

let hub: SuiteProcess;

test.before(async () => {
  hub = await spawnSuite('MemoryHub');
});
test.after(async () => {
  await hub?.stop();
});

test('32 concurrent add_memory: each reply arrives after its row is committed; commits are shared', async () => {
  const reader = new Database(join(hub.dataDir, 'memory-hub', 'memory_hub.db'), { readonly: true });
  const visible = reader.prepare('SELECT 1 FROM memories WHERE memory_id = ?').pluck();
  const client = new ZmqClient(hub.endpoint, { timeoutMs: 10_000 });
  const before = (await hub.health()).memory_store.group_commit;
  try {
    const notYetVisible: string[] = [];
    const replies = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        client.request({ action: 'add_memory', content: `group commit ${i}`, memory_type: 'gc_test' }).then((r: any) => {
          // Checked the moment the reply is here, before anything else runs in this process.
          if (r.status === 'success' && !visible.get(r.memory_id)) notYetVisible.push(r.memory_id);
          return r;
        }),
      ),
    );
    assert.ok(replies.every((r: any) => r.status === 'success'), JSON.stringify(replies.find((r: any) => r.status !== 'success')));
    assert.equal(notYetVisible, [], 'acknowledged before durable');
    const after = (await hub.health()).memory_store.group_commit;
    const writes = after.writes - before.writes;
    const batches = after.batches - before.batches;
    assert.ok(writes >= 32, `writes counted: ${writes}`);
    assert.ok(batches < writes, `${writes} writes should share commits, took ${batches}`);
    assert.ok(after.largestBatch > 1, 'some batch held several writes');
    const metrics = await (await fetch(`http://127.0.0.1:${hub.ports.metricsPort}/metrics`)).text();
    assert.match(metrics, /memory_hub_commit_batches_total(\{[^}]*\})? \d+/, metrics.slice(0, 300));
    assert.match(metrics, /memory_hub_grouped_writes_total(\{[^}]*\})? \d+/);
  } finally {
    client.close();
    reader.close();
  }
});

test.run();

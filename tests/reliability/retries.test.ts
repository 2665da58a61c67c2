import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { spawnSuite, type SuiteProcess } from '../helpers/suiteProcess.js';
import { ZmqClient, ZmqTimeoutError } from '../../src/transport/ZmqClient.js';
import { call, sleep } from './reliabilityKit.js';

// Retries (issue 10): a client whose request timed out resends the same request_id and gets the
// same reply; the write happens once. The suite is a real child process that is frozen
// (SIGSTOP) so the first attempt really times out — as under a long GC pause or a busy host.

let proc: SuiteProcess;

test.before(async () => {
  proc = await spawnSuite('MemoryHub');
});
test.after(async () => {
  if (proc.child.signalCode === null && proc.child.exitCode === null) process.kill(proc.pid, 'SIGCONT');
  await proc.stop();
});

/** Rows with exactly this content, read from the suite's SQLite file (the durable truth). */
function rowsWithContent(content: string): number {
  const db = new Database(join(proc.dataDir, 'memory-hub', 'memory_hub.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM memories WHERE content = ?').pluck().get(content) as number;
  } finally {
    db.close();
  }
}

test('timeout while the suite is stalled, then a resend (Lazy Pirate) → one reply, one write', async () => {
  const content = `retry ${randomBytes(6).toString('hex')}`;
  const req = { action: 'add_memory', request_id: `rid-${randomBytes(6).toString('hex')}`, data: { content } };
  const client = new ZmqClient(proc.endpoint, { timeoutMs: 700, retries: 4 });
  try {
    process.kill(proc.pid, 'SIGSTOP');
    const pending = client.request(req);
    await sleep(1600); // the first two attempts time out while the suite is frozen
    process.kill(proc.pid, 'SIGCONT');
    const reply = await pending;
    assert.is(reply.status, 'success');
    assert.is(reply.request_id, req.request_id);
    await sleep(300); // let any queued copy of the frame be processed
    assert.is(rowsWithContent(content), 1, 'the write happened exactly once');

    // A resend long after the answer (client gave up, tries again) gets the very same reply.
    const again = await call(proc.endpoint, req);
    assert.equal(again, reply);
    assert.is(rowsWithContent(content), 1);
  } finally {
    client.close();
  }
});

test('client gives up entirely, resends later on a new socket → the first reply, no second write', async () => {
  const content = `gave up ${randomBytes(6).toString('hex')}`;
  const req = { action: 'add_memory', request_id: `rid-${randomBytes(6).toString('hex')}`, data: { content, tags: ['retry'] } };
  const client = new ZmqClient(proc.endpoint, { timeoutMs: 400, retries: 0 });
  try {
    process.kill(proc.pid, 'SIGSTOP');
    const err = await client.request(req).catch((e: unknown) => e);
    assert.instance(err, ZmqTimeoutError);
  } finally {
    process.kill(proc.pid, 'SIGCONT');
    client.close();
  }
  await sleep(300);
  // The abandoned socket may or may not have delivered the frame before it was closed: either
  // way there is at most one row now, and exactly one after any number of resends.
  assert.ok(rowsWithContent(content) <= 1);
  const r1 = await call(proc.endpoint, req);
  const r2 = await call(proc.endpoint, req);
  assert.is(r1.status, 'success');
  assert.equal(r1, r2);
  assert.is(rowsWithContent(content), 1, 'resends did not write again');

  // Control: the same body under a new request_id is a new request (a second write).
  const fresh = await call(proc.endpoint, { ...req, request_id: `rid-${randomBytes(6).toString('hex')}` });
  assert.is.not(fresh.memory_id, r1.memory_id);
  assert.is(rowsWithContent(content), 2);
});

test.run();

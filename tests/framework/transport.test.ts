import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Dealer } from 'zeromq';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { descriptor } from '../fixtures/example-suite/ExampleSuite.js';
import { msgpackCodec, jsonCodec } from '../../src/transport/codec/index.js';

let s: TestSuite;
test.before(async () => {
  s = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false });
});
test.after(async () => {
  await s?.close();
});

for (const kind of ['json', 'msgpack'] as const) {
  test(`legacy REQ client gets an answer (${kind}), reply in kind`, async () => {
    const reply = await s.call({ action: 'echo', text: 'hi', request_id: 'r-1' }, { msgpack: kind === 'msgpack' });
    assert.equal(reply.status, 'success');
    assert.equal(reply.text, 'hi');
    assert.equal(reply.request_id, 'r-1');
  });

  test(`DEALER client gets an answer (${kind})`, async () => {
    const d = s.dealer({ msgpack: kind === 'msgpack' });
    const reply = await d.request({ action: 'echo', text: 'dealer' });
    assert.equal(reply.text, 'dealer');
  });
}

test('raw DEALER without delimiter: reply comes back msgpack-encoded when asked in msgpack', async () => {
  const d = new Dealer({ linger: 0 });
  d.connect(s.endpoint);
  try {
    await d.send([msgpackCodec.encode({ action: 'echo', text: 'bare' })]);
    const frames = await d.receive();
    assert.is(frames.length, 1);
    assert.equal(msgpackCodec.decode(frames[0]!), { status: 'success', agent: 'Alpha', text: 'bare' });
  } finally {
    d.close();
  }
});

test('500 concurrent requests to a 200 ms handler run concurrently', async () => {
  const d = s.dealer({ timeoutMs: 20_000 });
  const started = Date.now();
  const replies = await Promise.all(Array.from({ length: 500 }, () => d.request({ action: 'sleep', ms: 200 })));
  const elapsed = Date.now() - started;
  assert.ok(replies.every((r) => r.status === 'success' && r.slept === 200));
  // Serial handling would need 100 s; 5 s still leaves room for a busy 2-core CI machine while
  // failing anything less than 20 requests at a time.
  assert.ok(elapsed < 5_000, `took ${elapsed} ms`);
});

test('health socket answers any frame, also while the main socket is saturated', async () => {
  // A suite whose in-flight cap the load fills completely: the main socket answers BUSY beyond it.
  const small = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false, limits: { maxInFlight: 50 } });
  try {
    const d = small.dealer({ timeoutMs: 20_000 });
    const load = Promise.all(Array.from({ length: 300 }, () => d.request({ action: 'sleep', ms: 1500 })));
    await new Promise((r) => setTimeout(r, 200));
    const overflow = await small.call({ action: 'sleep', ms: 1 });
    assert.is(overflow.code, 'BUSY', 'the main socket is saturated');
    for (const frame of ['{"action":"health_check"}', 'ping', Buffer.from([0xff, 0x00])]) {
      const t0 = Date.now();
      const h = await small.callHealth(frame as string);
      assert.ok(Date.now() - t0 < 1000, 'health answered before the sleeping requests finished');
      assert.equal(h.status, 'ok');
      assert.is(h.active_threads, 50, 'requests in flight when health answered');
      for (const k of ['ready', 'initialized', 'message', 'timestamp', 'uptime', 'active_threads']) assert.ok(k in h, k);
    }
    const replies = await load;
    assert.is(replies.filter((r) => r.status === 'success').length, 50);
    assert.is(replies.filter((r) => r.code === 'BUSY').length, 250);
  } finally {
    await small.close();
  }
});

test('health verbs on the main socket answer the health object', async () => {
  for (const action of ['ping', 'health', 'health_check']) {
    const h = await s.call({ action });
    assert.equal(h.status, 'ok');
    assert.equal(h.service, 'ExampleSuite');
  }
  const h = await s.call({ command: 'HEALTH_CHECK' });
  assert.equal(h.status, 'ok');
});

test('streaming: DEALER gets chunks then the final reply; REQ gets exactly one reply', async () => {
  const d = s.dealer();
  const chunks: any[] = [];
  const final = await d.stream({ action: 'count', n: 3 }, (c) => chunks.push(c));
  assert.equal(chunks.map((c) => c.index), [0, 1, 2]);
  assert.ok(chunks.every((c) => c.stream === 'chunk'));
  assert.equal(final.total, 3);
  assert.equal(final.streamed, true);
  const viaReq = await s.call({ action: 'count', n: 3, stream: true });
  assert.equal(viaReq.streamed, false);
  assert.equal(viaReq.total, 3);
  // the REQ socket is still usable: nothing extra was queued for it
  assert.equal((await s.call({ action: 'echo', text: 'after' })).text, 'after');
});

test('json codec keeps NaN from Python clients readable', () => {
  assert.equal(jsonCodec.decode(Buffer.from('{"a": NaN, "b": [Infinity, 1]}')), { a: null, b: [null, 1] });
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { descriptor } from '../fixtures/example-suite/ExampleSuite.js';

let s: TestSuite;
test.before(async () => {
  s = await startTestSuite('ExampleSuite', {
    descriptor,
    redisUrl: false,
    limits: { maxFrameBytes: 1024 * 1024, maxInFlight: 4, requestTimeoutMs: 300 },
  });
});
test.after(async () => {
  await s?.close();
});

async function stillServing() {
  assert.equal((await s.call({ action: 'echo', text: 'alive' })).text, 'alive');
}

test('non-JSON frame → "Invalid JSON request" with both keys', async () => {
  const r = await s.callRaw('this is not json');
  assert.equal(r, { status: 'error', message: 'Invalid JSON request', error: 'Invalid JSON request' });
  await stillServing();
});

test('bad UTF-8 → "Invalid UTF-8 request"', async () => {
  const r = await s.callRaw(Buffer.from([0xff, 0xfe]));
  assert.equal(r.error, 'Invalid UTF-8 request');
  await stillServing();
});

test('JSON array and JSON scalar → not an object', async () => {
  for (const raw of ['[1,2,3]', '42', 'null', '"x"']) {
    const r = await s.callRaw(raw);
    assert.equal(r.status, 'error');
    assert.match(r.message, /expected a JSON object/);
  }
  await stillServing();
});

test('truncated msgpack → clear error', async () => {
  const r = await s.callRaw(Buffer.from([0x82, 0xa6, 0x61, 0x63]));
  assert.equal(r.status, 'error');
  assert.match(r.message, /Invalid msgpack request/);
  await stillServing();
});

test('10 MB frame over the limit → one clear error, server keeps serving', async () => {
  const big = JSON.stringify({ action: 'echo', text: 'x'.repeat(10 * 1024 * 1024) });
  const r = await s.callRaw(big, { timeoutMs: 15_000 });
  assert.equal(r.status, 'error');
  assert.match(r.message, /Request too large: \d+ bytes exceeds the limit of 1048576 bytes/);
  await stillServing();
});

test('unknown action and missing action', async () => {
  const r = await s.call({ action: 'frobnicate' });
  assert.equal(r, {
    status: 'error',
    message: 'Unknown action: frobnicate',
    error: 'Unknown action: frobnicate',
    code: 'UNKNOWN_ACTION',
    did_you_mean: [],
    hint: 'no action is named like "frobnicate"; send {"action": "suite.describe"} for every action and its fields',
  });
  const none = await s.call({ text: 'no verb' });
  assert.equal(none.message, 'Unknown action: None', 'legacy text kept (a vector pins it)');
  assert.is(none.code, 'MISSING_ACTION');
  assert.match(none.hint, /no action given \(send "action", "command", "request_type" or "type"\)/);
});

test('an unknown action names the nearest known ones', async () => {
  const typo = await s.call({ action: 'ecoh', text: 'x' });
  assert.is(typo.message, 'Unknown action: ecoh');
  assert.is(typo.did_you_mean[0], 'echo');
  assert.match(typo.hint, /^did you mean echo/);
  const camel = await s.call({ action: 'betaOnlyy' });
  assert.ok(camel.did_you_mean.includes('beta_only'), JSON.stringify(camel));
  const metrics = await s.metricsText();
  assert.match(metrics, /agent_suites_errors_total\{[^}]*code="UNKNOWN_ACTION"[^}]*kind="client"[^}]*\}/);
  assert.match(metrics, /agent_suites_errors_total\{[^}]*code="MISSING_ACTION"[^}]*kind="client"[^}]*\}/);
});

test('missing required field and wrong-typed field name the field', async () => {
  const missing = await s.call({ action: 'echo' });
  assert.equal(missing.status, 'error');
  assert.match(missing.message, /missing required field 'text'/);
  const wrong = await s.call({ action: 'echo', text: 42 });
  assert.match(wrong.message, /field 'text'/);
  assert.equal(wrong.error, wrong.message);
});

test('onInvalid gives the legacy wording', async () => {
  const r = await s.call({ action: 'add', a: 1 });
  assert.equal(r.message, 'b is required.');
  assert.equal(r.error, 'b is required.');
});

test('in-flight cap answers busy instead of queueing forever', async () => {
  const d = s.dealer({ timeoutMs: 5000 });
  const replies = await Promise.all(Array.from({ length: 10 }, () => d.request({ action: 'sleep', ms: 150 })));
  const busy = replies.filter((r) => r.status === 'error' && /Server busy/.test(r.message));
  const ok = replies.filter((r) => r.status === 'success');
  assert.ok(busy.length >= 1, 'some requests refused as busy');
  assert.ok(ok.length >= 4, 'the cap still lets 4 through');
  assert.equal(busy.length + ok.length, 10);
});

test('per-request timeout answers an error (and aborts the handler)', async () => {
  const r = await s.call({ action: 'sleep', ms: 5000 });
  assert.equal(r.status, 'error');
  assert.match(r.message, /timed out after 300 ms/);
  await stillServing();
});

test('a bug outside any handler (a throwing collision rule) still gets one error reply, and the server lives', async () => {
  const r = await s.call({ action: 'echo', text: 'x', explode: true });
  assert.equal(r.status, 'error');
  assert.equal(r.message, 'internal error: collision rule exploded');
  await stillServing();
});

test('resent request_id gets the same reply without running the handler twice', async () => {
  const d = s.dealer();
  const [a, b] = await Promise.all([
    d.request({ action: 'sleep', ms: 100, request_id: 'dup-1' }),
    d.request({ action: 'sleep', ms: 100, request_id: 'dup-1' }),
  ]);
  assert.equal(a, b);
  const metrics = await s.metricsText();
  assert.match(metrics, /action="duplicate"/);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subscriber } from 'zeromq';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { freePort } from '../helpers/ports.js';
import { descriptor } from '../fixtures/example-suite/ExampleSuite.js';

let s: TestSuite;
let sub: Subscriber;
test.before(async () => {
  const busPort = await freePort();
  // The collector side binds a SUB (as the legacy contract says); suites connect their PUB to it.
  sub = new Subscriber({ linger: 0, receiveTimeout: 5000 });
  sub.subscribe('ERROR');
  await sub.bind(`tcp://127.0.0.1:${busPort}`);
  s = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false, errorBusEndpoint: `tcp://127.0.0.1:${busPort}` });
  await new Promise((r) => setTimeout(r, 200)); // PUB connect + subscription handshake
});
test.after(async () => {
  await s?.close();
  sub?.close();
});

test('a crashing handler gives an error reply, an ERROR: frame on the bus and a metrics increment', async () => {
  // Keep a receive pending before the error happens: zeromq.js can miss a SUB socket's readiness
  // when nobody is waiting on it.
  const received = sub.receive();
  const reply = await s.call({ action: 'crash', request_id: 'c1' });
  assert.equal(reply.status, 'error');
  assert.equal(reply.message, 'example handler crashed on purpose');
  assert.equal(reply.error, reply.message);
  assert.equal(reply.request_id, 'c1');

  const [frame] = await received;
  const text = frame!.toString('utf8');
  assert.ok(text.startsWith('ERROR:'), text.slice(0, 40));
  const body = JSON.parse(text.slice('ERROR:'.length));
  for (const k of ['timestamp', 'agent', 'error_type', 'message', 'severity', 'details', 'source', 'message_type', 'error_data']) {
    assert.ok(k in body, `bus frame has ${k}`);
  }
  assert.equal(body.agent, 'Alpha');
  assert.equal(body.message, 'example handler crashed on purpose');
  assert.equal(body.error_data.error_type, 'handler_exception');

  const metrics = await s.metricsText();
  assert.match(metrics, /agent_suites_errors_total\{[^}]*agent="Alpha"[^}]*action="crash"[^}]*code="HANDLER_FAILED"[^}]*\} 1/);
  assert.match(metrics, /agent_suites_error_reports_total\{[^}]*error_type="handler_exception"[^}]*\} 1/);
  // still serving
  assert.equal((await s.call({ action: 'echo', text: 'ok' })).status, 'success');
});

test('metrics port serves /health and /version', async () => {
  const h = await fetch(`${s.metricsUrl}/health`);
  assert.is(h.status, 200);
  assert.equal((await h.json()).status, 'ok');
  const v = await (await fetch(`${s.metricsUrl}/version`)).json();
  assert.equal(v.suite, 'ExampleSuite');
  assert.match(await s.metricsText(), /agent_suites_request_duration_seconds_bucket/);
});

function sample(text: string, line: RegExp): number {
  const m = line.exec(text);
  return m ? Number(m[1]) : 0;
}

test('request counts and the latency histogram add up across scrapes', async () => {
  const okLine = /agent_suites_requests_total\{[^}]*agent="Beta"[^}]*action="beta_only"[^}]*status="ok"[^}]*\} (\d+)/;
  const countLine = /agent_suites_request_duration_seconds_count\{[^}]*agent="Beta"[^}]*action="beta_only"[^}]*\} (\d+)/;
  const infLine = /agent_suites_request_duration_seconds_bucket\{[^}]*agent="Beta"[^}]*action="beta_only"[^}]*le="\+Inf"[^}]*\} (\d+)/;
  const before = await s.metricsText();
  for (let i = 0; i < 3; i++) assert.equal((await s.call({ action: 'beta_only' })).status, 'success');
  const mid = await s.metricsText();
  assert.is(sample(mid, okLine) - sample(before, okLine), 3);
  assert.is(sample(mid, countLine) - sample(before, countLine), 3);
  assert.is(sample(mid, infLine), sample(mid, countLine));
  assert.match(mid, /agent_suites_request_duration_seconds_sum\{[^}]*agent="Beta"[^}]*\} \d/);
  // A scrape with nothing new in between leaves the counter where it was (no double counting).
  for (let i = 0; i < 2; i++) await s.call({ action: 'beta_only' });
  const after = await s.metricsText();
  assert.is(sample(await s.metricsText(), okLine), sample(after, okLine));
  assert.is(sample(after, okLine) - sample(mid, okLine), 2);
  // Buckets are cumulative: each le count is at most the next one.
  const buckets = [...after.matchAll(/agent_suites_request_duration_seconds_bucket\{[^}]*agent="Beta"[^}]*action="beta_only"[^}]*\} (\d+)/g)].map((m) => Number(m[1]));
  assert.ok(buckets.length >= 2);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]! >= buckets[i - 1]!, `bucket ${i} is cumulative`);
});

test('with no error bus at all the suite keeps serving and still counts errors', async () => {
  const lone = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false });
  try {
    const r = await lone.call({ action: 'crash' });
    assert.equal(r.status, 'error');
    assert.match(await lone.metricsText(), /agent_suites_error_reports_total\{[^}]*\} 1/);
    assert.equal((await lone.call({ action: 'echo', text: 'x' })).status, 'success');
  } finally {
    await lone.close();
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { freePort } from '../helpers/ports.js';
import { descriptor } from '../fixtures/example-suite/ExampleSuite.js';

let s: TestSuite;
let betaPort: number;
test.before(async () => {
  betaPort = await freePort();
  s = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false, legacyPorts: true, config: { beta_legacy_port: betaPort } });
});
test.after(async () => {
  await s?.close();
});

test('an action only one agent has goes to it', async () => {
  assert.equal((await s.call({ action: 'beta_only' })).agent, 'Beta');
});

test('shared action: documented default without fields', async () => {
  assert.equal((await s.call({ action: 'get_status' })).agent, 'Alpha');
  assert.equal((await s.call({ action: 'echo', text: 'x' })).agent, 'Alpha');
});

test('shared action: field rule routes job_id to Beta', async () => {
  const r = await s.call({ action: 'get_status', job_id: 'job_1' });
  assert.equal(r.agent, 'Beta');
  assert.equal(r.job_id, 'job_1');
});

test('field rule also sees fields nested in data/payload', async () => {
  assert.equal((await s.call({ action: 'get_status', data: { job_id: 'j' } })).agent, 'Beta');
  assert.equal((await s.call({ action: 'get_status', payload: { job_id: 'j' } })).agent, 'Beta');
});

test('target_agent overrides every rule (case-insensitive name)', async () => {
  assert.equal((await s.call({ action: 'echo', text: 'x', target_agent: 'Beta' })).agent, 'Beta');
  assert.equal((await s.call({ action: 'get_status', job_id: 'j', target_agent: 'alpha' })).agent, 'Alpha');
});

test('target_agent naming an unknown agent or an action it lacks is a clear error', async () => {
  const a = await s.call({ action: 'echo', text: 'x', target_agent: 'Gamma' });
  assert.equal(a.status, 'error');
  assert.match(a.message, /Unknown target_agent: Gamma/);
  const b = await s.call({ action: 'sleep', ms: 1, target_agent: 'Beta' });
  assert.equal(b.status, 'error');
  assert.equal(b.message, 'Unknown action: sleep');
  assert.equal(b.error, b.message);
  assert.is(b.request_id, '', 'the addressed agent words its own unknown-action reply');
});

test('dialects: command (upper case), request_type and type reach the same action', async () => {
  assert.equal((await s.call({ command: 'BETA_ONLY' })).agent, 'Beta');
  assert.equal((await s.call({ request_type: 'beta_only' })).agent, 'Beta');
  assert.equal((await s.call({ type: 'beta_only' })).agent, 'Beta');
  // action wins over type when both are present
  assert.equal((await s.call({ action: 'echo', type: 'beta_only', text: 't' })).agent, 'Alpha');
});

test('data/payload view: top-level keys win, legacy metadata tolerated', async () => {
  const r = await s.call({ action: 'add', data: { a: 1, b: 2 }, b: 40, source_agent: 'X', timestamp: '2025-07-16T10:00:00', request_id: 'q' });
  assert.equal(r.sum, 41);
  assert.equal(r.request_id, 'q');
});

test('legacy-port listener sends everything to its one agent', async () => {
  const endpoint = `tcp://127.0.0.1:${betaPort}`;
  const r = await s.call({ action: 'echo', text: 'old' }, { endpoint });
  assert.equal(r.agent, 'Beta');
  assert.equal((await s.call({ action: 'get_status' }, { endpoint })).agent, 'Beta');
  const unknown = await s.call({ action: 'sleep', ms: 1 }, { endpoint });
  assert.equal(unknown.message, 'Unknown action: sleep');
  assert.equal((await s.call({ action: 'health_check' }, { endpoint })).status, 'ok');
});

test('a request with no verb at all can be named by the suite (inferAction), else "Unknown action: None"', async () => {
  assert.equal((await s.call({ text: 'loud', shout: true })).agent, 'Alpha');
  assert.equal((await s.call({ text: 'quiet' })).message, 'Unknown action: None');
});

test('suite.describe lists agents, actions with their fields, and collisions', async () => {
  const r = await s.call({ action: 'suite.describe' });
  assert.equal(r.status, 'success');
  const alpha = r.agents.find((a: any) => a.name === 'Alpha');
  const echo = alpha.actions.find((a: any) => a.name === 'echo');
  assert.equal(echo.fields, { text: 'string' });
  const beta = r.agents.find((a: any) => a.name === 'Beta');
  assert.is(beta.legacy_port, betaPort);
  assert.ok(r.collisions.some((c: any) => c.action === 'get_status' && c.agents.length === 2));
});

test.run();

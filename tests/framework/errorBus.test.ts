import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Publisher, Subscriber } from 'zeromq';
import { startErrorBus, type RunningErrorBus } from '../../src/errorbus/ErrorBus.js';
import { normalizeErrorMessage } from '../../src/errorbus/normalizeErrorMessage.js';
import { createLogger } from '../../src/runtime/logger.js';
import { startTestSuite } from '../helpers/suiteHarness.js';
import { freePorts } from '../helpers/ports.js';
import { descriptor } from '../fixtures/example-suite/ExampleSuite.js';

const dir = mkdtempSync(join(tmpdir(), 'as-bus-'));
let bus: RunningErrorBus;
let xsubPort: number;
let xpubPort: number;

test.before(async () => {
  [xsubPort, xpubPort] = (await freePorts(2)) as [number, number];
  bus = await startErrorBus({ xsubPort, xpubPort, bindAddress: '127.0.0.1', dbFile: join(dir, 'errors.db'), log: createLogger('bus') });
});
test.after(async () => {
  await bus?.close();
  rmSync(dir, { recursive: true, force: true });
});

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

test('a suite error travels publisher → bus → subscriber and is stored', async () => {
  const sub = new Subscriber({ linger: 0 });
  sub.subscribe('ERROR:');
  sub.connect(`tcp://127.0.0.1:${xpubPort}`);
  const suite = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false, errorBusEndpoint: `tcp://127.0.0.1:${xsubPort}` });
  try {
    await new Promise((r) => setTimeout(r, 300)); // connections and subscriptions settle
    const received = sub.receive();
    await suite.call({ action: 'crash' });
    const [frame] = await received;
    assert.match(frame!.toString(), /^ERROR:\{/);
    assert.ok(await until(() => bus.recent(5).some((e) => e.agent === 'Alpha' && e.error_type === 'handler_exception')));
  } finally {
    await suite.close();
    sub.close();
  }
});

test('the bus stores every legacy publisher shape, normalised', async () => {
  const pub = new Publisher({ linger: 0 });
  pub.connect(`tcp://127.0.0.1:${xsubPort}`);
  await new Promise((r) => setTimeout(r, 300));
  const before = bus.received;
  await pub.send('ERROR:' + JSON.stringify({ timestamp: 1752660000.5, agent: 'TemplateAgent', error_type: 'io', message: 'disk full', severity: 'ERROR' }));
  await pub.send('ERROR:' + JSON.stringify({ message_type: 'error_report', source: 'SDT', timestamp: '2025-07-16T10:00:00', error_data: { error_id: 'e1', error_type: 'db', severity: 'high', details: { message: 'locked' } } }));
  await pub.send(['ERROR:', JSON.stringify({ agent: 'ALM', error_type: 'x', message: 'two frames', severity: 'warning' })]);
  await pub.send(['ERROR', JSON.stringify({ timestamp: '2025-07-16T10:00:00', agent: 'Auth', type: 'auth', message: 'no colon', severity: 'error' })]);
  await pub.send('ERROR:LocalFineTunerAgent:training:job exploded');
  assert.ok(await until(() => bus.received >= before + 5), `received ${bus.received - before}`);
  const recent = bus.recent(5);
  const byAgent = Object.fromEntries(recent.map((e) => [e.agent, e]));
  assert.equal(byAgent.TemplateAgent!.severity, 'error');
  assert.equal(byAgent.SDT!.error_type, 'db');
  assert.equal(byAgent.SDT!.severity, 'high');
  assert.equal(byAgent.ALM!.message, 'two frames');
  assert.equal(byAgent.Auth!.error_type, 'auth');
  assert.equal(byAgent.LocalFineTunerAgent!.message, 'job exploded');
  pub.close();
});

test('failures users see reach the bus under their code: unknown model, refused path, handler error', async () => {
  const suite = await startTestSuite('ModelManagerSuite', {
    redisUrl: false, errorBusEndpoint: `tcp://127.0.0.1:${xsubPort}`,
    config: { gpu: false, gpu_lock: { mode: 'off' }, models: [], allowed_paths: [dir] },
  });
  const example = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false, errorBusEndpoint: `tcp://127.0.0.1:${xsubPort}` });
  try {
    await new Promise((r) => setTimeout(r, 300)); // the PUB sockets connect
    const load = await suite.call({ action: 'models.load', model_id: 'ghost-model' });
    assert.is(load.code, 'UNKNOWN_MODEL', JSON.stringify(load));
    const reg = await suite.call({ action: 'models.register', model_id: 'x', path: '/etc/passwd' });
    assert.is(reg.code, 'PATH_NOT_ALLOWED', JSON.stringify(reg));
    await example.call({ action: 'crash' });
    const seen = () => bus.recent(50);
    assert.ok(await until(() => seen().some((e) => e.agent === 'ModelManagerSuite' && e.error_type === 'UNKNOWN_MODEL' && /ghost-model/.test(e.message))),
      JSON.stringify(seen().map((e) => [e.agent, e.error_type])));
    assert.ok(await until(() => seen().some((e) => e.error_type === 'PATH_NOT_ALLOWED' && /outside|allowed/.test(e.message))));
    const crash = seen().find((e) => e.agent === 'Alpha' && e.error_type === 'handler_exception');
    assert.ok(crash);
    assert.is((crash!.details as Record<string, unknown>).code, 'HANDLER_FAILED');
    // Refusals before any handler runs are counted in metrics, not published.
    await suite.call({ action: 'no_such_action_here' });
    await new Promise((r) => setTimeout(r, 300));
    assert.not.ok(seen().some((e) => e.error_type === 'UNKNOWN_ACTION' || /no_such_action_here/.test(e.message)));
  } finally {
    await suite.close();
    await example.close();
  }
});

test('normalizeErrorMessage ignores frames that are not errors', () => {
  assert.is(normalizeErrorMessage([Buffer.from('METRICS {}')]), undefined);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curveKeyPair } from 'zeromq';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { freePort } from '../helpers/ports.js';
import { descriptor } from '../fixtures/example-suite/ExampleSuite.js';
import { AuthenticationAgentDouble } from '../fixtures/peers/AuthenticationAgentDouble.js';
import { SuiteHost } from '../../src/runtime/SuiteHost.js';
import { ZmqClient } from '../../src/transport/ZmqClient.js';
import { generateCertificate, loadClientCurve, loadServerCurve } from '../../src/runtime/security/curveCertificates.js';
import { createLogger } from '../../src/runtime/logger.js';
import { freePorts } from '../helpers/ports.js';
import { rejects } from '../helpers/assertAsync.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BIN, ROOT, runCli, waitFor } from '../launcher/launcherProcess.js';

const EXAMPLE_SUITE = fileURLToPath(new URL('../fixtures/example-suite/ExampleSuite.ts', import.meta.url));

test('token check: missing, invalid and valid tokens; public health; cached validation', async () => {
  const authPort = await freePort();
  const auth = await AuthenticationAgentDouble.start(authPort);
  const s = await startTestSuite('ExampleSuite', {
    descriptor,
    redisUrl: false,
    config: { security: { auth: { enabled: true, endpoint: `tcp://127.0.0.1:${authPort}` } } },
  });
  try {
    const missing = await s.call({ action: 'echo', text: 'x' });
    assert.equal(missing.status, 'error');
    assert.equal(missing.message, 'unauthorized: missing token');
    assert.equal(missing.code, 'UNAUTHORIZED');
    const bad = await s.call({ action: 'echo', text: 'x', token: 'f'.repeat(64) });
    assert.equal(bad.message, 'unauthorized: invalid or expired token');
    assert.equal((await s.call({ action: 'health_check' })).status, 'ok');

    const client = new ZmqClient(`tcp://127.0.0.1:${authPort}`);
    await client.request({ action: 'register', user_id: 'u', password: 'p' });
    const login = await client.request({ action: 'login', user_id: 'u', password: 'p' });
    client.close();
    const token = login.session.token as string;
    const before = auth.validations;
    for (let i = 0; i < 3; i++) assert.equal((await s.call({ action: 'echo', text: 'in', token })).text, 'in');
    assert.is(auth.validations - before, 1, 'validation answer is cached');
  } finally {
    await s.close();
    auth.close();
  }
});

test('token check: allowed_actions refuses other actions even with a valid token; a revoked token is refused once its cached answer expires', async () => {
  const authPort = await freePort();
  const auth = await AuthenticationAgentDouble.start(authPort);
  const s = await startTestSuite('ExampleSuite', {
    descriptor,
    redisUrl: false,
    config: { security: { auth: { enabled: true, endpoint: `tcp://127.0.0.1:${authPort}`, allowed_actions: ['echo'], cache_ttl_ms: 300 } } },
  });
  try {
    const client = new ZmqClient(`tcp://127.0.0.1:${authPort}`);
    await client.request({ action: 'register', user_id: 'u', password: 'p' });
    const token = (await client.request({ action: 'login', user_id: 'u', password: 'p' })).session.token as string;
    assert.equal((await s.call({ action: 'echo', text: 'in', token })).text, 'in');
    const other = await s.call({ action: 'beta_only', token });
    assert.equal(other.message, 'unauthorized: action beta_only is not allowed');
    assert.equal(other.code, 'UNAUTHORIZED');
    assert.equal((await s.call({ action: 'health_check' })).status, 'ok', 'health stays public');

    // Logged out at the authentication service: still accepted while the cached answer lives...
    assert.equal((await client.request({ action: 'logout', token })).status, 'success');
    client.close();
    assert.equal((await s.call({ action: 'echo', text: 'cached', token })).text, 'cached');
    // ...and refused once it expired (cache_ttl_ms) and the token is validated again.
    await new Promise((r) => setTimeout(r, 400));
    const after = await s.call({ action: 'echo', text: 'x', token });
    assert.equal(after.message, 'unauthorized: invalid or expired token');
  } finally {
    await s.close();
    auth.close();
  }
});

test('token check fails closed when the authentication service is down', async () => {
  const s = await startTestSuite('ExampleSuite', {
    descriptor,
    redisUrl: false,
    config: { security: { auth: { enabled: true, endpoint: `tcp://127.0.0.1:${await freePort()}` } } },
  });
  try {
    const r = await s.call({ action: 'echo', text: 'x', token: 'a'.repeat(64) }, { timeoutMs: 8000 });
    assert.equal(r.message, 'unauthorized: authentication service unavailable');
  } finally {
    await s.close();
  }
});

test('per-client rate limit answers RATE_LIMITED past the burst', async () => {
  const s = await startTestSuite('ExampleSuite', { descriptor, redisUrl: false, config: { limits: { rate_per_client: 5, rate_burst: 5 } } });
  try {
    const d = s.dealer();
    const replies = await Promise.all(Array.from({ length: 12 }, () => d.request({ action: 'echo', text: 'x' })));
    const limited = replies.filter((r) => r.code === 'RATE_LIMITED');
    assert.ok(limited.length >= 5, `${limited.length} limited`);
    assert.ok(replies.filter((r) => r.status === 'success').length >= 5);
  } finally {
    await s.close();
  }
});

test('CURVE: an authorised client talks; a client with an unknown key or the wrong server key gets nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'as-curve-'));
  generateCertificate(dir, 'server');
  generateCertificate(dir, 'client');
  const keys = loadServerCurve(dir);
  const [port, healthPort] = (await freePorts(2)) as [number, number];
  const factory = await descriptor.load();
  const host = new SuiteHost({
    name: 'ExampleSuite', slug: 'example', factory, port, healthPort, bindAddress: '127.0.0.1',
    dataRoot: dir, curve: { ...keys.server, authorizedClients: keys.authorized }, log: createLogger('curve'),
  });
  await host.start();
  const endpoint = `tcp://127.0.0.1:${port}`;
  try {
    const good = new ZmqClient(endpoint, { timeoutMs: 3000, curve: loadClientCurve(dir) });
    assert.equal((await good.request({ action: 'echo', text: 'secret' })).text, 'secret');
    good.close();

    const stranger = curveKeyPair();
    const bad = new ZmqClient(endpoint, { timeoutMs: 1500, curve: { ...stranger, serverKey: keys.server.publicKey } });
    await rejects(() => bad.request({ action: 'echo', text: 'x' }), /no reply/);
    bad.close();

    const wrongServer = new ZmqClient(endpoint, { timeoutMs: 1500, curve: { ...loadClientCurve(dir), serverKey: curveKeyPair().publicKey } });
    await rejects(() => wrongServer.request({ action: 'echo', text: 'x' }), /no reply/);
    wrongServer.close();

    const plain = new ZmqClient(endpoint, { timeoutMs: 1500 });
    await rejects(() => plain.request({ action: 'echo', text: 'x' }), /no reply/);
    plain.close();
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SECURE_ZMQ=1: `keys generate` makes the certificates, `serve` turns CURVE on for the main and health sockets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'as-curve-cli-'));
  const certs = join(dir, 'certificates');
  let child: ChildProcess | undefined;
  try {
    const made = await runCli(['keys', 'generate', '--dir', certs], {});
    assert.is(made.code, 0, made.stderr);
    assert.match(made.stdout, /server\.key\s+public \S{40}/);
    assert.match(made.stdout, /client\.key\s+public \S{40}/);
    const [port, healthPort] = (await freePorts(2)) as [number, number];
    child = spawn(process.execPath, [BIN, 'serve', '--suite', 'ExampleSuite', '--port', String(port), '--health-port', String(healthPort), '--metrics-port', '0', '--bind', '127.0.0.1'], {
      cwd: ROOT,
      env: { ...process.env, SECURE_ZMQ: '1', ZMQ_CERTIFICATES_DIR: certs, DATA_DIR: dir, REDIS_URL: 'none', LOG_LEVEL: 'warn', AGENT_SUITES_EXTRA_SUITES: EXAMPLE_SUITE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitFor('secure suite ready', () => {
      if (child!.exitCode !== null) throw new Error(out);
      return out.includes('"event":"ready"');
    }, 30_000);
    const main = `tcp://127.0.0.1:${port}`;
    const health = `tcp://127.0.0.1:${healthPort}`;
    const good = new ZmqClient(main, { timeoutMs: 3000, curve: loadClientCurve(certs) });
    assert.equal((await good.request({ action: 'echo', text: 'over curve' })).text, 'over curve');
    good.close();
    const goodHealth = new ZmqClient(health, { timeoutMs: 3000, curve: loadClientCurve(certs) });
    assert.equal((await goodHealth.request({ action: 'health_check' })).status, 'ok');
    goodHealth.close();
    for (const endpoint of [main, health]) {
      const plain = new ZmqClient(endpoint, { timeoutMs: 1500 });
      await rejects(() => plain.request({ action: 'health_check' }), /no reply/);
      plain.close();
    }
  } finally {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { type RunningLauncher, runCli, startLauncher, waitFor, pickPorts } from './launcherProcess.js';

const dir = mkdtempSync(path.join(tmpdir(), 'as-cli-'));

test('start/status/health --help describe their options', async () => {
  const [start, status, health] = await Promise.all([
    runCli(['start', '--help'], {}), runCli(['status', '--help'], {}), runCli(['health', '--help'], {}),
  ]);
  assert.is(start.code, 0);
  for (const opt of ['--config', '--only', '--data-dir', 'PORT_OFFSET']) assert.ok(start.stdout.includes(opt), `start --help mentions ${opt}`);
  for (const opt of ['--data-dir', '--json', '--timeout']) assert.ok(status.stdout.includes(opt), `status --help mentions ${opt}`);
  for (const opt of ['--config', '--host', '--timeout', 'exit 1']) assert.ok(health.stdout.includes(opt), `health --help mentions ${opt}`);
});

test('a refused config or an unknown --only name: exit 1 with the reason, nothing started', async () => {
  const clash = path.join(dir, 'clash.yaml');
  writeFileSync(clash, 'services:\n  FixtureHub: { port: 7310, health_port: 7310 }\n');
  const ok = path.join(dir, 'ok.yaml');
  writeFileSync(ok, 'services:\n  FixtureHub: {}\n');
  const [r, o, legacy, s] = await Promise.all([
    runCli(['start', '--config', clash], { DATA_DIR: path.join(dir, 'd1') }),
    runCli(['start', '--config', ok, '--only', 'Nope'], { DATA_DIR: path.join(dir, 'd2') }),
    runCli(['start', '--config', 'tests/fixtures/launcher/legacy-mainpc-77bd7db8.yaml'], { DATA_DIR: path.join(dir, 'd4') }),
    runCli(['status'], { DATA_DIR: path.join(dir, 'nothing-here') }),
  ]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /port 7310 is claimed by both FixtureHub main port .* and FixtureHub health port/);
  assert.is(o.code, 1);
  assert.match(o.stderr, /--only names suites not in .*: Nope/);
  assert.is(legacy.code, 1);
  assert.match(legacy.stderr, /warning: deprecated agent MemoryClient is still configured to start/);
  assert.match(legacy.stderr, /has no enabled suite for this launcher to start/);
  assert.is(s.code, 1);
  assert.match(s.stderr, /no launcher state at/);
});

test('--only starts one suite; a dependency left out is probed and noted; an absent SDT holds nothing up', async () => {
  const p = await pickPorts(7);
  const file = path.join(dir, 'only.yaml');
  writeFileSync(file, `
machine: MainPC
bind_address: 127.0.0.1
services:
  FixtureHub: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]} }
  FixtureClient: { port: ${p[3]}, health_port: ${p[4]}, metrics_port: ${p[5]}, dependencies: [FixtureHub] }
launcher: { dependency_timeout_seconds: 1, registration: { timeout_ms: 500 } }
`);
  // A TCP listener that never answers stands in for a hung SystemDigitalTwin (and keeps the port ours).
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(p[6], '127.0.0.1', () => r()));
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(file, { DATA_DIR: path.join(dir, 'd3'), SYSTEM_DIGITAL_TWIN_PORT: String(p[6]) }, ['--only', 'FixtureClient']);
    const launcher = l;
    await waitFor('summary', () => /suites healthy after/.test(launcher.stdout()), 70_000);
    assert.match(launcher.stdout(), /1\/1 suites healthy/);
    assert.not.match(launcher.stdout(), /FixtureHub\s+healthy/);
    const s = launcher.state()!;
    assert.equal(s.suites.map((x) => x.name), ['FixtureClient']);
    assert.match(s.suites[0]!.reason!, new RegExp(`started without FixtureHub: 127\\.0\\.0\\.1:${p[1]} gave no answer within 1 s`));
    // SystemDigitalTwin never answers: registration gives up quietly, recorded in the state.
    const reg = await waitFor('registration result', () => launcher.state()?.suites[0]?.registration ?? undefined, 10_000);
    assert.is(reg.ok, false);
    assert.match(reg.detail, new RegExp(`SystemDigitalTwin at tcp://127\\.0\\.0\\.1:${p[6]}: no reply`));
    assert.is(await launcher.stop(), 0);
  } finally {
    l?.kill();
    silent.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

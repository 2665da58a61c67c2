import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningLauncher, runCli, startLauncher, waitFor, pickPorts } from './launcherProcess.js';

test('a suite that never gets healthy is killed after the health timeout; its dependent is blocked', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'as-hang-'));
  const dataDir = path.join(dir, 'data');
  const p = await pickPorts(6);
  const file = path.join(dir, 'machine.yaml');
  writeFileSync(file, `
machine: MainPC
bind_address: 127.0.0.1
services:
  FixtureHang: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]} }
  FixtureClient: { port: ${p[3]}, health_port: ${p[4]}, metrics_port: ${p[5]}, dependencies: [FixtureHang] }
launcher:
  health_timeout_seconds: 2
  restart: { max_restarts: 0, window_seconds: 60 }
  registration: { enabled: false }
`);
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(file, { DATA_DIR: dataDir });
    const launcher = l;
    // Nothing could come up: the launcher says so and exits 1 by itself, leaving its state for `status`.
    const code = await new Promise<number | null>((r) => launcher.child.once('exit', r));
    assert.is(code, 1);
    assert.match(launcher.stderr(), /0\/2 suites healthy: none could start/);
    const s = launcher.state()!;
    const hang = s.suites.find((x) => x.name === 'FixtureHang')!;
    assert.is(hang.state, 'failed');
    assert.match(hang.reason!, new RegExp(`gave up after 1 failure within 60 s \\(last: no healthy answer on health port ${p[1]} within 2 s\\)`));
    const client = s.suites.find((x) => x.name === 'FixtureClient')!;
    assert.is(client.state, 'blocked');
    assert.is(client.pid, null);
    assert.is(client.reason, 'not started: dependency FixtureHang failed');
    const st = await runCli(['status'], { DATA_DIR: dataDir });
    assert.is(st.code, 1);
    assert.match(st.stdout, /launcher not running/);
    assert.match(st.stdout, /FixtureClient\s+blocked\s+-.*not started: dependency FixtureHang failed/);
  } finally {
    l?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

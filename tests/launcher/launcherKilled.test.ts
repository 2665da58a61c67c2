import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pidAlive } from '../../src/launcher/stateFile.js';
import { type RunningLauncher, startLauncher, waitFor, pickPorts } from './launcherProcess.js';

// Suites run in their own process groups; if the launcher itself is SIGKILLed they must not be
// left running: each one notices it was re-parented and shuts itself down gracefully.
test('a SIGKILLed launcher leaves no suite behind', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'as-orphan-'));
  const dataDir = path.join(dir, 'data');
  const p = await pickPorts(3);
  const file = path.join(dir, 'one.yaml');
  writeFileSync(file, `
bind_address: 127.0.0.1
services:
  FixtureHub: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]} }
launcher: { registration: { enabled: false } }
`);
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(file, { DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const launcher = l;
    await waitFor('healthy', () => /1\/1 suites healthy/.test(launcher.stdout()), 60_000);
    const pid = launcher.state()!.suites[0]!.pid!;
    launcher.child.kill('SIGKILL');
    await waitFor('suite gone after its launcher', () => !pidAlive(pid), 15_000);
    assert.match(readFileSync(path.join(dataDir, 'logs', 'FixtureHub.log'), 'utf8'), /"signal":"SIGTERM".*stopping FixtureHub/);
  } finally {
    l?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

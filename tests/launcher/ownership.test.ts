import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Router } from 'zeromq';
import { loadExtraSuites } from '../../src/launcher/extraSuites.js';
import { Launcher } from '../../src/launcher/Launcher.js';
import { loadStartupConfig } from '../../src/launcher/loadStartupConfig.js';
import { createLogger } from '../../src/runtime/logger.js';
import { FIXTURE_SUITES, pickPorts, startLauncher, waitFor, type RunningLauncher } from './launcherProcess.js';

// A launcher counts a suite healthy only when its own child answers, reports a taken port at once
// (naming it) instead of crash-looping behind another instance's health answers, and exits
// non-zero when nothing is left running.

const dir = mkdtempSync(path.join(tmpdir(), 'as-own-'));

function exitOf(l: RunningLauncher, ms: number): Promise<number | null | 'running'> {
  if (l.child.exitCode !== null) return Promise.resolve(l.child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('running'), ms);
    l.child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

/** A health socket answering "ok" as another instance of the suite would. */
async function impostorHealth(port: number, pid: number): Promise<Router> {
  const sock = new Router({ linger: 0 });
  await sock.bind(`tcp://127.0.0.1:${port}`);
  void (async () => {
    for await (const [id, ...rest] of sock) {
      const delimited = rest.length > 1 && rest[0]!.length === 0;
      const reply = Buffer.from(JSON.stringify({ status: 'ok', initialized: true, pid, service: 'FixtureHub' }));
      await sock.send(delimited ? [id!, Buffer.alloc(0), reply] : [id!, reply]).catch(() => {});
    }
  })();
  return sock;
}

test('a taken health port is reported at once by number; the other instance is not counted; exit code 1', async () => {
  const p = await pickPorts(3, '127.0.0.1');
  const file = path.join(dir, 'taken.yaml');
  writeFileSync(file, `
bind_address: 127.0.0.1
services:
  FixtureHub: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]} }
launcher: { restart: { max_restarts: 5, initial_backoff_ms: 100 }, registration: { enabled: false } }
`);
  const other = await impostorHealth(p[1]!, 4242);
  let l: RunningLauncher | undefined;
  try {
    const t0 = Date.now();
    l = startLauncher(file, { DATA_DIR: path.join(dir, 'd-taken') });
    const code = await exitOf(l, 30_000);
    assert.is(code, 1, `exit code (stderr: ${l.stderr()})`);
    assert.ok(Date.now() - t0 < 30_000);
    assert.match(l.stderr(), new RegExp(`FixtureHub: failed: not started: port ${p[1]} \\(FixtureHub health\\) on 127\\.0\\.0\\.1 is already in use`));
    assert.match(l.stderr(), /0\/1 suites healthy: none could start/);
    assert.not.match(l.stdout(), /FixtureHub\s+healthy|1\/1 suites healthy/);
    const s = l.state()!.suites[0]!;
    assert.is(s.state, 'failed');
    assert.is(s.restarts, 0, 'no spawn, so nothing to restart');
    assert.is(s.pid, null);
  } finally {
    l?.kill();
    other.close();
  }
});

test("a health answer from a process other than the launcher's own child does not make the suite healthy", async () => {
  await loadExtraSuites({ AGENT_SUITES_EXTRA_SUITES: FIXTURE_SUITES });
  const p = await pickPorts(3, '127.0.0.1');
  const file = path.join(dir, 'impostor.yaml');
  writeFileSync(file, `
bind_address: 127.0.0.1
services:
  FixtureHub: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]} }
launcher: { health_timeout_seconds: 3, restart: { max_restarts: 0 }, registration: { enabled: false } }
`);
  // The child binds the health port and answers "ok", but in the name of another process (pid 1,
  // no instance id): what a probe sees when an orphan of an earlier launcher still holds the port.
  const script = `const zmq = require('zeromq');
(async () => {
  const s = new zmq.Reply({ linger: 0 });
  await s.bind('tcp://127.0.0.1:${p[1]}');
  for await (const _ of s) await s.send(JSON.stringify({ status: 'ok', initialized: true, pid: 1, service: 'FixtureHub' }));
})();`;
  const launcher = new Launcher({
    config: loadStartupConfig(file, { ...process.env, PORT_OFFSET: '0' }),
    dataDir: path.join(dir, 'd-impostor'),
    log: createLogger('launcher-test'),
    childCommand: () => ({ command: process.execPath, args: ['-e', script] }),
  });
  try {
    const state = await launcher.start();
    const s = state.suites[0]!;
    assert.is(s.state, 'failed');
    assert.match(s.reason!, new RegExp(`no healthy answer on health port ${p[1]} within 3 s \\(it was answered by pid 1 \\(FixtureHub\\), not by the launcher's own child pid \\d+\\)`));
    assert.ok(launcher.allGaveUp());
  } finally {
    await launcher.stop();
  }
});

test('a launcher whose every suite has given up stops and exits with code 1', async () => {
  const p = await pickPorts(3, '127.0.0.1');
  const file = path.join(dir, 'crash.yaml');
  writeFileSync(file, `
bind_address: 127.0.0.1
services:
  FixtureCrasher: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]}, config: { crash: true, crash_after_ms: 1500 } }
launcher: { restart: { max_restarts: 1, window_seconds: 60, initial_backoff_ms: 100 }, registration: { enabled: false } }
`);
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(file, { DATA_DIR: path.join(dir, 'd-crash') });
    const launcher = l;
    await waitFor('first healthy line', () => /FixtureCrasher\s+healthy/.test(launcher.stdout()), 60_000);
    const code = await exitOf(launcher, 60_000);
    assert.is(code, 1, `exit code (stderr: ${launcher.stderr()})`);
    assert.match(launcher.stderr(), /FixtureCrasher: failed: gave up after 2 failures/);
    assert.match(launcher.stderr(), /every suite has given up; stopping and exiting with code 1/);
  } finally {
    l?.kill();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

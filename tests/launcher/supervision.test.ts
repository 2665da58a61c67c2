import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeHealth } from '../../src/launcher/healthProbe.js';
import { LAST_RUN_FILE, type LauncherState, pidAlive, stateFilePath } from '../../src/launcher/stateFile.js';
import { requestOnce } from '../../src/transport/ZmqClient.js';
import { type RunningLauncher, runCli, startLauncher, waitFor, pickPorts } from './launcherProcess.js';

// One launcher, three fixture suites: FixtureHub (killed with SIGKILL, must come back),
// FixtureClient (depends on the hub) and FixtureCrasher (exits 100 ms after every start).
test('SIGKILLed suite is restarted; a crash-looping suite is given up on and status says why; shutdown in reverse order', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'as-sup-'));
  const dataDir = path.join(dir, 'data');
  const p = await pickPorts(9);
  const file = path.join(dir, 'machine.yaml');
  writeFileSync(file, `
schema_version: 1
machine: MainPC
bind_address: 127.0.0.1
services:
  FixtureHub: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]}, startup_order: 1 }
  FixtureClient: { port: ${p[3]}, health_port: ${p[4]}, metrics_port: ${p[5]}, startup_order: 2, dependencies: [FixtureHub] }
  FixtureCrasher:
    port: ${p[6]}
    health_port: ${p[7]}
    metrics_port: ${p[8]}
    startup_order: 3
    config: { crash: true, crash_after_ms: 100 }
launcher:
  health_timeout_seconds: 20
  shutdown_grace_seconds: 5
  monitor_interval_seconds: 0.5
  restart: { max_restarts: 2, window_seconds: 60, initial_backoff_ms: 100, max_backoff_ms: 400 }
  registration: { enabled: false }
`);
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(file, { DATA_DIR: dataDir });
    const launcher = l;
    // All three attempted: hub and client healthy, crasher given up after 1 start + 2 restarts.
    await waitFor('startup summary line', () => /suites healthy after/.test(launcher.stdout()), 60_000);
    assert.match(launcher.stdout(), /FixtureHub\s+healthy\s+pid \d+\s+main tcp:\/\/127\.0\.0\.1:\d+/);
    // The crasher may pass its first health probe before it exits; wait until it is given up on.
    const s1 = await waitFor('crasher given up', () => {
      const s = launcher.state();
      return s?.suites.find((x) => x.name === 'FixtureCrasher')?.state === 'failed' ? s : undefined;
    }, 45_000);
    const crasher = s1.suites.find((s) => s.name === 'FixtureCrasher')!;
    assert.is(crasher.restarts, 2);
    assert.match(crasher.reason!, /gave up after 3 failures within 60 s \(last: exit code 3\); not restarted again/);
    await waitFor('failure line on stderr', () => /FixtureCrasher: failed: gave up after 3 failures/.test(launcher.stderr()), 5000);

    // SIGKILL the hub: it comes back on a new pid and answers again.
    const hub = s1.suites.find((s) => s.name === 'FixtureHub')!;
    const oldPid = hub.pid!;
    process.kill(oldPid, 'SIGKILL');
    const back = await waitFor('hub restarted and healthy', () => {
      const h = launcher.state()?.suites.find((s) => s.name === 'FixtureHub');
      return h && h.state === 'healthy' && h.pid !== oldPid && h.restarts === 1 ? h : undefined;
    }, 45_000);
    assert.match(back.lastExit?.signal ?? '', /SIGKILL/);
    assert.match(back.reason ?? '', /^restarted after signal SIGKILL at /);
    const reply = await requestOnce(`tcp://127.0.0.1:${p[0]}`, { action: 'whoami' }, { timeoutMs: 3000 });
    assert.is(reply.pid, back.pid);
    assert.ok((await probeHealth('127.0.0.1', p[1]!, 2000)).up);
    await waitFor('restart line on stdout', () => /FixtureHub\s+restarted \(#1\)/.test(launcher.stdout()), 5000);
    // The client (which was not touched) still reaches the restarted hub.
    const via = await requestOnce(`tcp://127.0.0.1:${p[3]}`, { action: 'remember', key: 'k', value: 42 }, { timeoutMs: 5000 });
    assert.is(via.status, 'success');
    assert.is(via.hub.pid, back.pid);

    // `status` reports every suite, and why the crasher stopped being restarted.
    const st = await runCli(['status'], { DATA_DIR: dataDir });
    assert.is(st.code, 1, 'exit 1 while a suite is failed');
    assert.match(st.stdout, /FixtureHub\s+healthy\s+\d+\s+127\.0\.0\.1:\d+\s+\d+\s+\d+\s+1\s+ok/);
    assert.match(st.stdout, /FixtureCrasher\s+failed\s+-\s+.*2\s+-\s+gave up after 3 failures within 60 s/);
    const json = JSON.parse((await runCli(['status', '--json'], { DATA_DIR: dataDir })).stdout);
    assert.is(json.launcherRunning, true);
    assert.is(json.suites.find((s: { name: string }) => s.name === 'FixtureClient').up, true);

    // `health` from the state file: exit 1 because the crasher is down.
    const h = await runCli(['health'], { DATA_DIR: dataDir });
    assert.is(h.code, 1);
    assert.match(h.stdout, /FixtureHub\s+MainPC\s+tcp:\/\/127\.0\.0\.1:\d+\s+ok/);
    assert.match(h.stdout, /FixtureCrasher\s+MainPC\s+tcp:\/\/127\.0\.0\.1:\d+\s+DOWN/);

    // Graceful shutdown: exit 0, children gone, client stopped before the hub.
    const pids = launcher.state()!.suites.map((s) => s.pid).filter((x): x is number => !!x);
    const code = await launcher.stop();
    assert.is(code, 0);
    for (const pid of pids) assert.not.ok(pidAlive(pid), `pid ${pid} still alive`);
    // A clean stop moves the state file to the last-run record.
    assert.not.ok(existsSync(stateFilePath(launcher.dataDir)));
    const end = JSON.parse(readFileSync(path.join(launcher.dataDir, LAST_RUN_FILE), 'utf8')) as LauncherState;
    assert.is(end.state, 'stopped');
    const at = (n: string) => Date.parse(end.suites.find((s) => s.name === n)!.lastExit!.at);
    assert.ok(at('FixtureClient') <= at('FixtureHub'), 'client stopped before hub');
    assert.ok(end.suites.filter((s) => s.name !== 'FixtureCrasher').every((s) => s.state === 'stopped'));
    assert.match(readFileSync(path.join(dataDir, 'logs', 'FixtureHub.log'), 'utf8'), /starting FixtureHub \(attempt 2\)/);
  } finally {
    l?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Publisher } from 'zeromq';
import { deleteRedisPrefix, TEST_REDIS_URL } from '../helpers/suiteHarness.js';
import { LAST_RUN_FILE, type LauncherState, pidAlive, stateFilePath } from '../../src/launcher/stateFile.js';
import { type RunningLauncher, ROOT, pickPortOffset, runCli, startLauncher, waitFor } from './launcherProcess.js';

// The contract other tooling relies on:
//   PORT_OFFSET=N DATA_DIR=D agent-suites start --config startup_config/all-in-one.yaml
// starts every suite of the file (the real ones) with every port shifted by N and all state under D.
test('all-in-one.yaml: every suite and the error bus shifted by PORT_OFFSET, state under DATA_DIR, clean stop', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'as-aio-'));
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const base = [7010, 7110, 9010, 7011, 7111, 9011, 7012, 7112, 9012, 7150, 7151];
  const offset = await pickPortOffset(base.map((port) => ({ host: '127.0.0.1', port })));
  const env = { PORT_OFFSET: String(offset), DATA_DIR: dir, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, SDT_REGISTRATION: '0', BIND_ADDRESS: '127.0.0.1' };
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(path.join(ROOT, 'startup_config/all-in-one.yaml'), env);
    const launcher = l;
    await waitFor('3/3 healthy', () => {
      if (/suites healthy after/.test(launcher.stdout())) return true;
      if (launcher.child.exitCode !== null) throw new Error(`launcher exited: ${launcher.stderr()}`);
      return false;
    }, 80_000, 200);
    assert.match(launcher.stdout(), /3\/3 suites healthy/, launcher.stdout() + launcher.stderr());
    for (const [name, port] of [['MemoryHub', 7010], ['ModelManagerSuite', 7011], ['AdaptiveLearningSuite', 7012]] as const) {
      assert.match(launcher.stdout(), new RegExp(`${name}\\s+healthy\\s+pid \\d+\\s+main tcp://127\\.0\\.0\\.1:${port + offset}\\s+health tcp://127\\.0\\.0\\.1:${port + 100 + offset}\\s+metrics http://127\\.0\\.0\\.1:${port + 2000 + offset}/metrics`));
    }
    assert.match(launcher.stdout(), new RegExp(`error bus running on ${7150 + offset}/${7151 + offset}`));

    // State under DATA_DIR: launcher state, one log per suite, each suite's data folder, the bus DB.
    for (const f of ['launcher-state.json', 'logs/MemoryHub.log', 'logs/ModelManagerSuite.log', 'logs/AdaptiveLearningSuite.log', 'memory-hub', 'error-bus/errors.db']) {
      assert.ok(existsSync(path.join(dir, f)), `${f} under DATA_DIR`);
    }

    // The `call` contract and `health --config` against the shifted ports.
    const call = await runCli(['call', `127.0.0.1:${7010 + offset}`, '{"action":"ping"}'], env);
    assert.is(call.code, 0, call.stderr);
    assert.ok(JSON.parse(call.stdout).status, call.stdout);
    const h = await runCli(['health', '--config', 'startup_config/all-in-one.yaml'], env);
    assert.is(h.code, 0, h.stdout + h.stderr);
    assert.match(h.stdout, new RegExp(`AdaptiveLearningSuite\\s+all-in-one\\s+tcp://127\\.0\\.0\\.1:${7112 + offset}\\s+ok`));

    // An error published on the launcher's bus is stored where `errors tail` reads (same DATA_DIR).
    const pub = new Publisher({ linger: 1000 });
    pub.connect(`tcp://127.0.0.1:${7150 + offset}`);
    const marker = `all-in-one bus check ${randomBytes(4).toString('hex')}`;
    let tail: { code: number | null; stdout: string; stderr: string } = { code: -1, stdout: '', stderr: '' };
    await waitFor('error stored and tailed', async () => {
      await pub.send('ERROR:' + JSON.stringify({ agent: 'TestAgent', error_type: 'test', message: marker, severity: 'warning', timestamp: new Date().toISOString() }));
      tail = await runCli(['errors', 'tail', '--no-follow', '--last', '5'], env);
      return tail.stdout.includes(marker);
    }, 15_000, 300);
    pub.close();
    assert.is(tail.code, 0, tail.stderr);
    assert.match(tail.stdout, new RegExp(`TestAgent test: ${marker}`));

    // Suites start with their V8 flags (launcher/suiteNodeFlags.ts): the hub's capped young generation.
    const hubPid = launcher.state()!.suites.find((s) => s.name === 'MemoryHub')!.pid!;
    const hubArgs = readFileSync(`/proc/${hubPid}/cmdline`, 'utf8').split('\0');
    assert.ok(hubArgs.includes('--max-semi-space-size=2'), hubArgs.join(' '));

    const pids = launcher.state()!.suites.map((s) => s.pid!);
    assert.is(await launcher.stop(30_000), 0);
    for (const pid of pids) assert.not.ok(pidAlive(pid));
    // A clean stop moves the state file to the last-run record.
    assert.not.ok(existsSync(stateFilePath(launcher.dataDir)));
    const end = JSON.parse(readFileSync(path.join(launcher.dataDir, LAST_RUN_FILE), 'utf8')) as LauncherState;
    const at = (n: string) => Date.parse(end.suites.find((s) => s.name === n)!.lastExit!.at);
    assert.ok(at('AdaptiveLearningSuite') <= at('ModelManagerSuite') && at('ModelManagerSuite') <= at('MemoryHub'), 'reverse start order');
    assert.ok(end.suites.every((s) => s.state === 'stopped' && s.lastExit!.code === 0), JSON.stringify(end.suites));
  } finally {
    l?.kill();
    await deleteRedisPrefix(TEST_REDIS_URL, prefix).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

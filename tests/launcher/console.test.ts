import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Router } from 'zeromq';
import { LAST_RUN_FILE, stateFilePath } from '../../src/launcher/stateFile.js';
import { ROOT, pickPortOffset, runCli, startLauncher, waitFor, type RunningLauncher } from './launcherProcess.js';

// What a person sees: which state a command follows, a registration port that moves with
// PORT_OFFSET and says once that it was skipped, readable logs on a terminal and JSON elsewhere,
// an `errors tail` that says what it reads.

const dir = mkdtempSync(path.join(tmpdir(), 'as-console-'));
const ANSI = /\x1b\[[0-9;]*m/g;

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs `node -e code` with stderr on a pseudo-terminal (util-linux `script`), returns what it showed. */
function onTerminal(code: string, env: Record<string, string>): string {
  const cmd = `${JSON.stringify(process.execPath)} --import tsx --input-type=module -e "$CODE"`;
  return execFileSync('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env, CODE: code }, encoding: 'utf8' }).replace(ANSI, '');
}

const LOG_TWO_LINES = `const { createLogger } = await import('./src/runtime/logger.ts');
const log = createLogger('launcher');
log.info({ suite: 'MemoryHub' }, 'suite healthy');
log.warn('second line');`;

/** stderr of `node -e code` run with stderr on a pipe. */
function stderrThroughPipe(code: string, env: Record<string, string>): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stderr;
}

test('logs: readable lines on a terminal, JSON records through a pipe or with LOG_FORMAT=json', () => {
  const env = { LOG_LEVEL: 'info', LOG_FORMAT: '' };
  const records = stderrThroughPipe(LOG_TWO_LINES, env).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(records.map((r) => r.msg), ['suite healthy', 'second line']);
  assert.is(records[0]!.suite, 'MemoryHub');
  if (!hasScript()) {
    console.log('skipped the terminal half: util-linux `script` is not installed, so no pseudo-terminal can be made here');
    return;
  }
  const tty = onTerminal(LOG_TWO_LINES, env);
  assert.match(tty, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(launcher\): suite healthy \{.*"suite": ?"MemoryHub".*\}\r?$/m);
  assert.match(tty, /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(launcher\): second line\r?$/m);
  assert.not.match(tty, /"level":/);
  const forced = onTerminal(LOG_TWO_LINES, { ...env, LOG_FORMAT: 'json' });
  assert.match(forced, /^\{"level":30,.*"msg":"suite healthy"\}\r?$/m);
});

test('PORT_OFFSET moves the registration port (one "skipped" line); health and status say which state they follow; a clean stop removes the state file; errors tail says what it reads', async () => {
  const offset = await pickPortOffset([7070, 7170, 9070, 7071, 7171, 9071, 7120, 7150, 7151].map((port) => ({ host: '127.0.0.1', port })));
  const file = path.join(dir, 'machine.yaml');
  writeFileSync(file, `
bind_address: 127.0.0.1
error_bus: { enabled: true, port: 7150, pub_port: 7151 }
services:
  FixtureHub: { startup_order: 1 }
  FixtureClient: { startup_order: 2, dependencies: [FixtureHub] }
launcher: { registration: { timeout_ms: 300 } }
`);
  // Stands in for a SystemDigitalTwin that never answers, on the shifted port: it records who asks.
  const sdt = new Router({ linger: 0 });
  await sdt.bind(`tcp://127.0.0.1:${7120 + offset}`);
  const asked: string[] = [];
  void (async () => {
    for await (const frames of sdt) asked.push(String(JSON.parse(frames[frames.length - 1]!.toString()).agent_name));
  })();
  const dataDir = path.join(dir, 'data');
  const env = { DATA_DIR: dataDir, PORT_OFFSET: String(offset), LOG_LEVEL: 'info', LOG_FORMAT: 'json' };
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(file, env);
    const launcher = l;
    await waitFor('2/2 healthy', () => /2\/2 suites healthy/.test(launcher.stdout()), 60_000);
    await waitFor('both suites asked SDT on the shifted port', () => asked.includes('FixtureHub') && asked.includes('FixtureClient'), 15_000);
    await waitFor('registration results recorded', () => launcher.state()?.suites.every((s) => s.registration), 15_000);
    const skipped = launcher.stderr().split('\n').filter((line) => /SystemDigitalTwin registration skipped/.test(line));
    assert.is(skipped.length, 1, skipped.join('\n'));
    assert.match(skipped[0]!, new RegExp(`tcp://127\\.0\\.0\\.1:${7120 + offset}`));
    assert.is(launcher.state()!.portOffset, offset);

    // health follows the state file when PORT_OFFSET agrees, and says so; another PORT_OFFSET wins.
    const same = await runCli(['health'], env);
    assert.is(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stderr, new RegExp(`probing suites of the launcher state ${stateFilePath(dataDir).replace(/[.]/g, '\\.')} \\(launcher pid \\d+ running; PORT_OFFSET ${offset}\\)`));
    assert.match(same.stdout, new RegExp(`FixtureHub\\s+all-in-one\\s+tcp://127\\.0\\.0\\.1:${7170 + offset}\\s+ok`));
    const other = await runCli(['health', '--timeout', '300'], { ...env, PORT_OFFSET: String(offset + 1) });
    assert.is(other.code, 1);
    assert.match(other.stderr, new RegExp(`probing default ports on 127\\.0\\.0\\.1 with PORT_OFFSET ${offset + 1}; ignored .*launcher-state\\.json \\(written for PORT_OFFSET ${offset}\\)`));
    assert.match(other.stdout, new RegExp(`MemoryHub\\s+PC2\\s+tcp://127\\.0\\.0\\.1:${7110 + offset + 1}\\s+DOWN`));
    const st = await runCli(['status'], { ...env, PORT_OFFSET: String(offset + 1) });
    assert.match(st.stderr, new RegExp(`belongs to a launcher run with PORT_OFFSET ${offset}, not the PORT_OFFSET ${offset + 1} set here`));
    assert.match(st.stdout, new RegExp(`PORT_OFFSET ${offset}; from ${stateFilePath(dataDir).replace(/[.]/g, '\\.')}`));

    // errors tail: how many stored errors it printed, from where, and what it follows live.
    await runCli(['call', `127.0.0.1:${7071 + offset}`, '{"action":"report_error","message":"console test error"}'], env);
    const stored = await waitFor('error stored', async () => {
      const r = await runCli(['errors', 'tail', '--no-follow', '--last', '5'], env);
      return /console test error/.test(r.stdout) ? r : undefined;
    }, 15_000, 300);
    assert.match(stored.stderr, new RegExp(`^1 stored error from ${dataDir.replace(/[.]/g, '\\.')}/error-bus/errors\\.db \\(newest 5 asked, 1 kept\\)`, 'm'));
    const follow = spawn(process.execPath, [path.join(ROOT, 'bin/agent-suites.js'), 'errors', 'tail', '--last', '0'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let followErr = '';
    follow.stderr.on('data', (d: Buffer) => { followErr += d.toString(); });
    try {
      await waitFor('follow line', () => /following ERROR frames live on tcp:\/\/127\.0\.0\.1:\d+/.test(followErr), 20_000);
      assert.match(followErr, new RegExp(`tcp://127\\.0\\.0\\.1:${7151 + offset}`));
    } finally {
      follow.kill('SIGTERM');
    }

    // A clean stop takes the state file away (kept as the last-run record in logs/).
    assert.is(await launcher.stop(), 0);
    assert.not.ok(existsSync(stateFilePath(dataDir)), 'state file removed');
    const last = JSON.parse(readFileSync(path.join(dataDir, LAST_RUN_FILE), 'utf8'));
    assert.is(last.state, 'stopped');
    const gone = await runCli(['status'], env);
    assert.is(gone.code, 1);
    assert.match(gone.stderr, /no launcher state at/);
  } finally {
    l?.kill();
    sdt.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

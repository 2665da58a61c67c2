import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pidAlive, readState } from '../../src/launcher/stateFile.js';
import { BIN, FIXTURE_SUITES, ROOT, pickPorts, waitFor } from './launcherProcess.js';

// Supervisors (systemd, Docker, pm2) signal the pid they started, which is often `npm start`, not
// the launcher; and a wrapper may die without passing anything on. Either way no process of the
// instance may survive.

const dir = mkdtempSync(path.join(tmpdir(), 'as-stop-'));

async function twoSuiteConfig(name: string): Promise<string> {
  const p = await pickPorts(6, '127.0.0.1');
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, `
bind_address: 127.0.0.1
services:
  FixtureHub: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]} }
  FixtureClient: { port: ${p[3]}, health_port: ${p[4]}, metrics_port: ${p[5]}, dependencies: [FixtureHub] }
launcher: { shutdown_grace_seconds: 5, registration: { enabled: false } }
`);
  return file;
}

function spawnWithOutput(command: string, args: string[], dataDir: string): { child: ChildProcess; out: () => string } {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', REDIS_URL: 'none', AGENT_SUITES_EXTRA_SUITES: FIXTURE_SUITES, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  return { child, out: () => out };
}

/** Launcher pid and suite pids once both suites are up. */
async function instancePids(dataDir: string, out: () => string): Promise<number[]> {
  await waitFor('2/2 suites healthy', () => /2\/2 suites healthy/.test(out()), 90_000);
  const s = readState(dataDir)!;
  const pids = [s.launcherPid, ...s.suites.map((x) => x.pid!)];
  assert.ok(pids.every((p) => p && pidAlive(p)), `all running: ${pids.join(', ')}`);
  return pids;
}

async function allGone(pids: number[], ms: number): Promise<void> {
  try {
    await waitFor(`pids ${pids.join(', ')} gone`, () => pids.every((p) => !pidAlive(p)), ms);
  } finally {
    for (const p of pids) if (pidAlive(p)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} to the pid of \`npm start\` stops the launcher and every suite`, async () => {
    const dataDir = path.join(dir, `npm-${signal}`);
    const file = await twoSuiteConfig(signal);
    const npm = spawnWithOutput('npm', ['start', '--silent', '--', '--config', file], dataDir);
    let pids: number[] = [];
    try {
      pids = await instancePids(dataDir, npm.out);
      npm.child.kill(signal);
      await allGone(pids, 15_000);
      await waitFor('stop reported', () => /all suites stopped/.test(npm.out()), 5000);
    } finally {
      npm.child.kill('SIGKILL');
      for (const p of pids) if (pidAlive(p)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
  });
}

test('a launcher whose parent dies stops every suite', async () => {
  const dataDir = path.join(dir, 'orphaned');
  const file = await twoSuiteConfig('orphaned');
  // A wrapper that starts the launcher and passes nothing on, like `sh -c` under npm.
  const wrapper = spawnWithOutput(process.execPath, ['-e', `
    const { spawn } = require('node:child_process');
    spawn(process.execPath, [${JSON.stringify(BIN)}, 'start', '--config', ${JSON.stringify(file)}], { stdio: 'inherit' });
    setInterval(() => {}, 1000);`], dataDir);
  let pids: number[] = [];
  try {
    pids = await instancePids(dataDir, wrapper.out);
    wrapper.child.kill('SIGKILL');
    await allGone(pids, 15_000);
    await waitFor('reason logged', () => /parent process \d+ is gone: stopping suites/.test(wrapper.out()), 5000);
  } finally {
    wrapper.child.kill('SIGKILL');
    for (const p of pids) if (pidAlive(p)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStartupConfig } from '../../src/launcher/loadStartupConfig.js';

// deploy/systemd: one unit per machine plus the environment file they read. systemd-analyze
// verify checks them where it exists (it only warns on stderr, so any line about the files fails).

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = path.join(ROOT, 'deploy/systemd');
const UNITS = { MainPC: 'agent-suites-mainpc.service', PC2: 'agent-suites-pc2.service' } as const;

function settings(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(path.join(DIR, file), 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

test('each machine has a unit that starts its startup config, restarts on failure and stops with SIGTERM to the launcher', () => {
  for (const [machine, unit] of Object.entries(UNITS)) {
    const s = settings(unit);
    const exec = s.get('ExecStart')?.[0] ?? '';
    const config = /--config (\S+)/.exec(exec)?.[1];
    assert.ok(config, `${unit}: ExecStart names a config`);
    assert.match(exec, /bin\/agent-suites\.js start --config/);
    // The config it names is in the repository and describes that machine.
    assert.is(loadStartupConfig(path.join(ROOT, config!), { PC2_IP: '127.0.0.2', MAINPC_IP: '127.0.0.1' }).machine, machine);
    assert.equal(s.get('EnvironmentFile'), ['/etc/agent-suites/agent-suites.env']);
    assert.equal(s.get('Restart'), ['on-failure']);
    assert.equal(s.get('KillSignal'), ['SIGTERM']);
    assert.equal(s.get('KillMode'), ['mixed']);
    // Longer than the launcher's shutdown grace, so suites stop in order before systemd kills.
    assert.ok(Number(s.get('TimeoutStopSec')?.[0]) > 10);
  }
  const env = readFileSync(path.join(DIR, 'agent-suites.env.example'), 'utf8');
  for (const name of ['MAINPC_IP', 'PC2_IP', 'REDIS_URL', 'DATA_DIR']) assert.match(env, new RegExp(`^${name}=\\S+`, 'm'), name);
});

test('systemd-analyze verify accepts both units', () => {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.log(`skipped: systemd-analyze is not available here (${probe.error?.message ?? `exit ${probe.status}`})`);
    return;
  }
  const files = Object.values(UNITS).map((u) => path.join(DIR, u));
  for (const f of files) assert.ok(existsSync(f), f);
  const r = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
  const complaints = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes(DIR) || /agent-suites-/.test(l));
  assert.equal(complaints, [], complaints.join('\n'));
  assert.is(r.status, 0, r.stderr);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { requestOnce } from '../../src/transport/ZmqClient.js';
import { pidAlive } from '../../src/launcher/stateFile.js';
import { type RunningLauncher, pickPorts, startLauncher, waitFor } from './launcherProcess.js';

// What systemd's Restart= does after an OOM kill: the launcher is SIGKILLed and started again at
// once, while its suites are still noticing and shutting down. The new launcher must wait for
// them instead of racing them for the ports (and counting their answers as its own). FixtureHub
// takes 2.5 s to shut down, so the next launcher usually meets it still holding its health port
// (how often depends on how fast the launcher boots; at least one restart must).
const ROUNDS = Number(process.env.RESTART_ROUNDS ?? 10);
const WRITES_PER_ROUND = 5;

test(`SIGKILL the launcher and start it again at once, ${ROUNDS} times: every round healthy, every acknowledged write readable`, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'as-rekill-'));
  const dataDir = path.join(dir, 'data');
  const p = await pickPorts(6, '127.0.0.1');
  const file = path.join(dir, 'machine.yaml');
  writeFileSync(file, `
bind_address: 127.0.0.1
services:
  FixtureHub: { port: ${p[3]}, health_port: ${p[4]}, metrics_port: ${p[5]}, startup_order: 1, config: { close_delay_ms: 2500 } }
  MemoryHub: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]}, startup_order: 2 }
launcher: { health_timeout_seconds: 60, shutdown_grace_seconds: 10, restart: { max_restarts: 0 }, registration: { enabled: false } }
`);
  const hub = `tcp://127.0.0.1:${p[0]}`;
  const acked = new Map<string, string>();
  const launchers: RunningLauncher[] = [];
  const start = () => {
    const l = startLauncher(file, { DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    launchers.push(l);
    return l;
  };
  try {
    let l = start();
    for (let round = 1; round <= ROUNDS; round++) {
      const cur = l;
      await waitFor(`round ${round}: 2/2 suites healthy`, () => {
        if (cur.child.exitCode !== null) throw new Error(`launcher exited ${cur.child.exitCode}: ${cur.stderr().slice(-2000)}`);
        return /2\/2 suites healthy/.test(cur.stdout());
      }, 90_000);
      const state = cur.state()!;
      assert.ok(state.suites.every((s) => s.state === 'healthy' && s.restarts === 0), `round ${round}: ${JSON.stringify(state.suites.map((s) => [s.name, s.state, s.reason]))}`);
      // Every write acknowledged in earlier rounds is there.
      const ids = [...acked.keys()];
      if (ids.length) {
        const got = await requestOnce(hub, { action: 'batch_get_memories', data: { memory_ids: ids } }, { timeoutMs: 10_000 });
        assert.is(got.count, ids.length, `round ${round}: acknowledged memories missing`);
        for (const m of got.memories as Array<{ memory_id: string; content: string }>) assert.is(m.content, acked.get(m.memory_id));
      }
      for (let i = 0; i < WRITES_PER_ROUND; i++) {
        const content = `round ${round} write ${i} ${randomBytes(4).toString('hex')}`;
        const r = await requestOnce(hub, { action: 'add_memory', data: { content, memory_type: 'restart_test' } }, { timeoutMs: 5000 });
        assert.is(r.status, 'success');
        acked.set(r.memory_id, content);
      }
      const suitePids = state.suites.map((s) => s.pid!);
      cur.child.kill('SIGKILL');
      await new Promise((r) => cur.child.once('exit', r));
      if (round === ROUNDS) {
        await waitFor('last round: suites gone after their launcher', () => suitePids.every((pid) => !pidAlive(pid)), 15_000);
        break;
      }
      assert.ok(suitePids.some((pid) => pidAlive(pid)), 'the suites are still exiting when the next launcher starts');
      l = start();
    }
    assert.is(acked.size, ROUNDS * WRITES_PER_ROUND);
    // How often the new launcher really met its predecessor's suites (a slow boot can miss them).
    const waited = launchers.filter((x) => /waiting up to 10 s for \d suite process(es)? of an earlier launcher/.test(x.stderr())).length;
    console.log(`${ROUNDS} rounds, ${acked.size} acknowledged writes all readable; ${waited} restarts waited for leftover suites`);
    assert.ok(waited >= 1, `none of ${ROUNDS - 1} restarts met leftover suites: the race was not exercised`);
  } finally {
    for (const l of launchers) l.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

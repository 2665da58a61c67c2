import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openConnection } from '../../src/stores/sqlite/storageFaults.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { pickPorts, startLauncher, type RunningLauncher } from '../launcher/launcherProcess.js';

// Faults at home: a full disk (SQLite's max_page_count stands in for the volume: the same
// SQLITE_FULL from the same write paths) and a database file that is damaged before a start.

const filler = (n: number) => randomBytes(n).toString('base64');

async function fillUntilFull(write: (i: number) => Promise<any>): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const r = await write(i);
    if (r.status !== 'success') return r;
  }
  throw new Error('400 writes and the capped database still took them');
}

test('MemoryHub on a full disk: STORAGE_FULL, health degraded, acknowledged memories intact, writes resume when space returns', async () => {
  const s = await startTestSuite('MemoryHub');
  try {
    assert.is((await s.callHealth()).status, 'ok');
    const acked = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const content = `before the disk filled ${i} ${filler(32)}`;
      const r = await s.call({ action: 'add_memory', data: { content } });
      assert.is(r.status, 'success');
      acked.set(r.memory_id, content);
    }
    const file = join(s.dataDir, 'memory-hub', 'memory_hub.db');
    const db = openConnection(file);
    assert.ok(db, `the suite's connection to ${file}`);
    db!.pragma(`max_page_count = ${db!.pragma('page_count', { simple: true })}`);

    const refused = await fillUntilFull((i) => s.call({ action: 'add_memory', data: { content: `after ${i} ${filler(3000)}` } }));
    assert.is(refused.status, 'error');
    assert.is(refused.code, 'STORAGE_FULL', JSON.stringify(refused));
    assert.match(refused.message, new RegExp(`^Storage full: ${file.replace(/[.]/g, '\\.')} cannot grow \\(database or disk is full\\); nothing was written`));
    assert.is(refused.error, refused.message);

    const sick = await s.callHealth();
    assert.is(sick.status, 'degraded');
    assert.is(sick.storage.status, 'full');
    assert.is(sick.storage.files[0].file, file);

    // Reads keep working, and nothing acknowledged before is lost.
    const got = await s.call({ action: 'batch_get_memories', data: { memory_ids: [...acked.keys()] } });
    assert.is(got.count, acked.size);
    for (const m of got.memories as Array<{ memory_id: string; content: string }>) assert.is(m.content, acked.get(m.memory_id));

    // Space comes back: the next write succeeds and health recovers.
    db!.pragma('max_page_count = 1073741823');
    const again = await s.call({ action: 'add_memory', data: { content: 'after space returned' } });
    assert.is(again.status, 'success', JSON.stringify(again));
    assert.is((await s.call({ action: 'get_memory', data: { memory_id: again.memory_id } })).memory.content, 'after space returned');
    assert.is((await s.callHealth()).status, 'ok');
    assert.is((await s.callHealth()).storage, undefined);
  } finally {
    await s.close();
  }
});

test('AdaptiveLearningSuite on a full disk: create_cycle answers STORAGE_FULL, then works again', async () => {
  const s = await startTestSuite('AdaptiveLearningSuite', { redisUrl: false });
  try {
    const healthy = (await s.callHealth()).status;
    const file = join(s.dataDir, 'adaptive-learning', 'adaptive_learning.db');
    const db = openConnection(file)!;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    const refused = await fillUntilFull((i) => s.call({ action: 'create_cycle', agent_id: `Agent${i}`, priority: 1, config: { resources: { gpu: 1 }, note: filler(3000) } }));
    assert.is(refused.code, 'STORAGE_FULL', JSON.stringify(refused));
    assert.is((await s.callHealth()).status, 'degraded');
    db.pragma('max_page_count = 1073741823');
    assert.is((await s.call({ action: 'create_cycle', agent_id: 'AgentAfter', priority: 1, config: { resources: { gpu: 1 } } })).status, 'success');
    assert.is((await s.callHealth()).status, healthy);
  } finally {
    await s.close();
  }
});

/** A MemoryHub data folder with some memories, closed cleanly (WAL checkpointed into the file). */
async function hubData(): Promise<{ dataDir: string; file: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'as-corrupt-'));
  const s: TestSuite = await startTestSuite('MemoryHub', { redisUrl: false, dataDir });
  for (let i = 0; i < 60; i++) await s.call({ action: 'add_memory', data: { content: `memory ${i} ${filler(1500)}` } });
  await s.close({ keepData: true });
  return { dataDir, file: join(dataDir, 'memory-hub', 'memory_hub.db') };
}

test('a truncated or overwritten database is refused at start, named, with the restore command, and left untouched', async () => {
  const { dataDir, file } = await hubData();
  try {
    assert.not.ok(existsSync(`${file}-wal`) && readFileSync(`${file}-wal`).length > 0, 'checkpointed on close');
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    const cut = readFileSync(file);
    try {
      const s = await startTestSuite('MemoryHub', { redisUrl: false, dataDir });
      await s.close({ keepData: true });
      assert.unreachable('a truncated database must not start');
    } catch (err) {
      const msg = (err as Error).message;
      assert.match(msg, new RegExp(`^Database ${file.replace(/[.]/g, '\\.')} is damaged \\(truncated: the header records \\d+ pages`));
      assert.match(msg, /agent-suites migrate rollback --list/);
    }
    assert.ok(readFileSync(file).equals(cut), 'the damaged file was not changed');

    writeFileSync(file, randomBytes(8192));
    const junk = readFileSync(file);
    try {
      const s = await startTestSuite('MemoryHub', { redisUrl: false, dataDir });
      await s.close({ keepData: true });
      assert.unreachable('a file that is not SQLite must not start');
    } catch (err) {
      assert.match((err as Error).message, /is damaged \(not a SQLite database: the header is wrong\)/);
    }
    assert.ok(readFileSync(file).equals(junk));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('under the launcher a damaged database fails the suite at once (no restart loop) with the reason in status', async () => {
  const { dataDir, file } = await hubData();
  const p = await pickPorts(3, '127.0.0.1');
  const cfg = join(dataDir, 'hub.yaml');
  writeFileSync(cfg, `
bind_address: 127.0.0.1
services:
  MemoryHub: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]} }
launcher: { restart: { max_restarts: 5, initial_backoff_ms: 100 }, registration: { enabled: false } }
`);
  truncateSync(file, 4096 * 3);
  let l: RunningLauncher | undefined;
  try {
    l = startLauncher(cfg, { DATA_DIR: dataDir });
    const code = await new Promise<number | null>((r) => l!.child.once('exit', r));
    assert.is(code, 1, l.stderr());
    const s = l.state()!.suites[0]!;
    assert.is(s.state, 'failed');
    assert.is(s.restarts, 0, 'not restarted');
    assert.is(s.lastExit?.code, 78);
    assert.match(s.reason!, /^refused to start: Database .*memory_hub\.db is damaged \(truncated/, `reason: ${s.reason}`);
    assert.match(s.reason!, /migrate rollback/);
    assert.is(readFileSync(file).length, 4096 * 3);
  } finally {
    l?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();

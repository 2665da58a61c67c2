import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { spawnSuite, type SuiteProcess } from '../helpers/suiteProcess.js';
import { deleteRedisPrefix, TEST_REDIS_URL } from '../helpers/suiteHarness.js';
import { call, sleep } from './reliabilityKit.js';

// Crash safety (issue 10): writers keep going while the suite process is SIGKILLed; after a
// restart on the same data folder every write that was acknowledged is there. What makes it hold:
// SQLite in WAL mode with synchronous=FULL (docs/RELIABILITY.md), and replies sent only after the
// transaction committed.

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 3);
const WRITERS = 4;

interface RoundStats {
  acked: number;
  lostInFlight: number;
  errors: number;
}

/**
 * Runs WRITERS loops of `write` against `proc` until the process is SIGKILLed at a random moment
 * 0.8–1.6 s in. `write` returns the id of an acknowledged write or undefined for an error reply.
 */
async function writeUntilKilled(proc: SuiteProcess, write: (endpoint: string, seq: string) => Promise<string | undefined>, acked: string[]): Promise<RoundStats> {
  const stats: RoundStats = { acked: 0, lostInFlight: 0, errors: 0 };
  let killed = false;
  const writer = async (w: number) => {
    for (let i = 0; !killed; i++) {
      try {
        const id = await write(proc.endpoint, `${w}-${i}`);
        if (id) {
          acked.push(id);
          stats.acked++;
        } else stats.errors++;
      } catch {
        stats.lostInFlight++; // sent, never answered: the process died under it
      }
    }
  };
  const running = Array.from({ length: WRITERS }, (_, w) => writer(w));
  await sleep(800 + Math.random() * 800);
  await proc.kill();
  killed = true;
  await Promise.all(running);
  return stats;
}

async function crashRounds(
  suite: string,
  write: (endpoint: string, seq: string) => Promise<string | undefined>,
  verify: (proc: SuiteProcess, ids: string[]) => Promise<void>,
): Promise<{ acked: string[]; rounds: RoundStats[]; dataDir: string; prefix: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `as-crash-${suite}-`));
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const acked: string[] = [];
  const rounds: RoundStats[] = [];
  let proc = await spawnSuite(suite, { dataDir, redisKeyPrefix: prefix });
  try {
    for (let r = 0; r < ROUNDS; r++) {
      rounds.push(await writeUntilKilled(proc, write, acked));
      assert.is(proc.child.signalCode, 'SIGKILL');
      proc = await spawnSuite(suite, { dataDir, redisKeyPrefix: prefix });
      await verify(proc, acked);
    }
  } catch (err) {
    console.log(proc.output().slice(-3000));
    throw err;
  } finally {
    await proc.stop({ keepData: true });
  }
  return { acked, rounds, dataDir, prefix };
}

function report(suite: string, acked: string[], rounds: RoundStats[], lost: number): void {
  const inFlight = rounds.reduce((n, r) => n + r.lostInFlight, 0);
  console.log(`${suite}: ${rounds.length} SIGKILLs, ${acked.length} acknowledged writes, ${inFlight} requests in flight at a kill, lost: ${lost}`);
}

test('MemoryHub add_memory: SIGKILL mid-load, restart on the same data dir → every acknowledged memory is there', async () => {
  const contentOf = new Map<string, string>();
  const write = async (endpoint: string, seq: string) => {
    const content = `crash-safety memory ${seq} ${randomBytes(4).toString('hex')}`;
    const r = await call(endpoint, { action: 'add_memory', data: { content, memory_type: 'crash_test' } }, 2000);
    if (r.status !== 'success') return undefined;
    contentOf.set(r.memory_id, content);
    return r.memory_id as string;
  };
  const verify = async (proc: SuiteProcess, ids: string[]) => {
    for (let i = 0; i < ids.length; i += 200) {
      const chunk = ids.slice(i, i + 200);
      const got = await call(proc.endpoint, { action: 'batch_get_memories', data: { memory_ids: chunk } }, 10_000);
      assert.is(got.count, chunk.length, `acknowledged memories missing after restart: ${chunk.length - got.count}`);
      for (const m of got.memories as Array<{ memory_id: string; content: string }>) assert.is(m.content, contentOf.get(m.memory_id));
    }
  };
  const { acked, rounds, dataDir, prefix } = await crashRounds('MemoryHub', write, verify);
  try {
    assert.ok(acked.length > 20, `only ${acked.length} writes acknowledged`);
    // The durable truth itself (not a Redis copy): read the SQLite file after the last stop.
    const db = new Database(join(dataDir, 'memory-hub', 'memory_hub.db'), { readonly: true });
    try {
      assert.is(db.pragma('integrity_check', { simple: true }), 'ok');
      const have = new Set(db.prepare("SELECT memory_id FROM memories WHERE memory_type = 'crash_test'").pluck().all() as string[]);
      const lost = acked.filter((id) => !have.has(id));
      report('MemoryHub', acked, rounds, lost.length);
      assert.is(rounds.reduce((n, r) => n + r.errors, 0), 0, 'no write was refused');
      assert.is(lost.length, 0, `lost acknowledged writes: ${lost.slice(0, 5).join(', ')}`);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await deleteRedisPrefix(TEST_REDIS_URL, prefix).catch(() => {});
  }
});

test('AdaptiveLearningSuite create_job / create_cycle: SIGKILL mid-load → every acknowledged job and cycle is there', async () => {
  const write = async (endpoint: string, seq: string) => {
    if (Number(seq.split('-')[1]) % 2 === 0) {
      const r = await call(endpoint, { action: 'create_job', model_id: 'tiny', config: { examples: [{ text: `job ${seq}` }], steps: 5 } }, 2000);
      return r.status === 'success' ? `job:${r.job_id}` : undefined;
    }
    const r = await call(endpoint, { action: 'create_cycle', agent_id: `CrashAgent${seq}`, priority: 1, config: { resources: { gpu: 10 }, note: seq } }, 2000);
    return r.status === 'success' ? `cycle:${r.cycle_id}` : undefined;
  };
  const verify = async (proc: SuiteProcess, ids: string[]) => {
    for (const id of ids) {
      const [kind, raw] = id.split(/:(.*)/s) as [string, string];
      const r = await call(proc.endpoint, kind === 'job' ? { action: 'get_status', job_id: raw } : { action: 'get_status', cycle_id: raw }, 5000);
      assert.is(r.status, 'success', `${id} missing after restart: ${JSON.stringify(r)}`);
    }
  };
  const { acked, rounds, dataDir } = await crashRounds('AdaptiveLearningSuite', write, verify);
  try {
    assert.ok(acked.length > 20, `only ${acked.length} writes acknowledged`);
    assert.ok(acked.some((id) => id.startsWith('cycle:')) && acked.some((id) => id.startsWith('job:')), 'both jobs and cycles were written');
    const db = new Database(join(dataDir, 'adaptive-learning', 'adaptive_learning.db'), { readonly: true });
    try {
      assert.is(db.pragma('integrity_check', { simple: true }), 'ok');
      const jobs = new Set(db.prepare('SELECT id FROM tuning_jobs').pluck().all() as string[]);
      const cycles = new Set(db.prepare('SELECT id FROM sto_training_cycles').pluck().all() as string[]);
      const lost = acked.filter((id) => {
        const [kind, raw] = id.split(/:(.*)/s) as [string, string];
        return !(kind === 'job' ? jobs : cycles).has(raw);
      });
      report('AdaptiveLearningSuite', acked, rounds, lost.length);
      const errors = rounds.reduce((n, r) => n + r.errors, 0);
      assert.is(errors, 0, `${errors} writes were refused`);
      assert.is(lost.length, 0, `lost acknowledged writes: ${lost.slice(0, 5).join(', ')}`);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();

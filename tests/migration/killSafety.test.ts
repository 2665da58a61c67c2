import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLargeOrchestrator } from '../fixtures/legacy/buildLegacyFixture.js';
import { openDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { importLegacy, targetFile, verifyLegacy } from '../../src/migration/index.js';

const N = 40_000;
const CLI = join(process.cwd(), 'bin', 'agent-suites.js');
const dir = mkdtempSync(join(tmpdir(), 'migrate-kill-'));
const legacy = join(dir, 'legacy');
const dataDir = join(dir, 'data');

test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the CLI import and SIGKILLs it as soon as it reports rows written inside the memories transaction. */
function importAndKill(): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'migrate', 'legacy', '--from', legacy, '--data-dir', dataDir], {
      env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let killed = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /progress (\d+)\/(\d+) rows \(unit \d+\/\d+ orchestrator\.memories/.exec(stderr);
      if (!killed && m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2])) {
        killed = child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', () => resolve({ killed, stderr }));
  });
}

const counts = () => {
  const db = openDatabase(targetFile(dataDir, 'memory-hub'), 'memory-hub');
  try {
    return {
      memories: db.prepare('SELECT COUNT(*) FROM memories').pluck().get() as number,
      mapped: (db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'legacy_import_map'`).pluck().get() as number)
        ? (db.prepare('SELECT COUNT(*) FROM legacy_import_map').pluck().get() as number)
        : 0,
      fts: db.prepare(`SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'number'`).pluck().get() as number,
    };
  } finally {
    db.close();
  }
};

test('an import killed midway leaves the target untouched or complete, and a re-run completes it', async () => {
  buildLargeOrchestrator(legacy, N);
  const { killed, stderr } = await importAndKill();
  assert.ok(killed, `the import finished before it could be killed:\n${stderr.slice(-500)}`);
  const after = counts();
  // One transaction per legacy table: either none of the memories or all of them, never a part.
  assert.ok(after.memories === 0 || after.memories === N, `partial import: ${after.memories} of ${N}`);
  assert.is(after.mapped, after.memories);
  assert.is(after.fts, after.memories);

  const s = await importLegacy({ from: legacy, dataDir });
  assert.is(s.totals.imported + s.totals.unchanged, N);
  const done = counts();
  assert.equal(done, { memories: N, mapped: N, fts: N });
  const v = await verifyLegacy({ from: legacy, dataDir });
  assert.ok(v.ok, JSON.stringify(v.units.map((u) => [u.label, u.mismatchCount, u.mismatches.slice(0, 3)])));
});

test.run();

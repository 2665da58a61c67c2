import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildLegacyFixture } from '../fixtures/legacy/buildLegacyFixture.js';
import { openDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { dbChecksum, importLegacy, listBackups, rollback, targetFile, TARGETS, type TargetSlug } from '../../src/migration/index.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin', 'agent-suites.js');
const dir = mkdtempSync(join(tmpdir(), 'migrate-rollback-'));
const fx = buildLegacyFixture(join(dir, 'legacy'));
const dataDir = join(dir, 'data');
const slugs = Object.keys(TARGETS) as TargetSlug[];
const checksums = () => Object.fromEntries(slugs.map((s) => [s, dbChecksum(targetFile(dataDir, s))?.sha256 ?? null]));
const fileSha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('rollback restores the state before the import, row for row', async () => {
  // A data folder the suites already used: MemoryHub and ModelManagerSuite have data, AdaptiveLearning none.
  const hub = openDatabase(targetFile(dataDir, 'memory-hub'), 'memory-hub');
  hub.prepare(`INSERT INTO memories (memory_id, content, last_accessed_at, created_at, updated_at, decayed_at) VALUES ('mem-existing', 'written by the suite', 1, 1, 1, 1)`).run();
  hub.prepare(`INSERT INTO kv_entries (namespace, key, value, created_at, updated_at) VALUES ('ns', 'k', '"v"', 1, 1)`).run();
  hub.close();
  openDatabase(targetFile(dataDir, 'model-manager'), 'model-manager').close();
  const before = checksums();
  assert.is(before['adaptive-learning'], null);

  const s = await importLegacy({ from: fx.root, dataDir });
  assert.ok(s.totals.imported > 40);
  const after = checksums();
  for (const slug of slugs) assert.is.not(after[slug], before[slug], `${slug} unchanged by the import`);

  const r = rollback(dataDir);
  assert.equal(checksums(), before);
  assert.ok(r.restored.every((f) => f.checksumOk), JSON.stringify(r));
  assert.not.ok(existsSync(targetFile(dataDir, 'adaptive-learning')), 'a database created by the import is removed');
  // Restored files are byte-for-byte the backup copies.
  const manifest = listBackups(dataDir).at(-1)!;
  for (const e of manifest.entries.filter((x) => x.existed)) {
    assert.is(fileSha(join(dataDir, e.file)), e.fileSha256, e.file);
  }
  const again = openDatabase(targetFile(dataDir, 'memory-hub'), 'memory-hub');
  assert.is(again.prepare('SELECT COUNT(*) FROM memories').pluck().get(), 1);
  again.close();
});

test('the CLI imports with a summary and rolls back to a named backup', async () => {
  const before = checksums();
  const env = { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' };
  const imp = await run(process.execPath, [CLI, 'migrate', 'legacy', '--from', fx.root, '--data-dir', dataDir], { env });
  assert.match(imp.stdout, /Total: \d+ legacy rows: \d+ imported/);
  assert.match(imp.stdout, /orchestrator:data\/unified_memory\.db:memories \[mem-bad-json\]: metadata is not valid JSON/);
  const list = await run(process.execPath, [CLI, 'migrate', 'rollback', '--data-dir', dataDir, '--list', '--json'], { env });
  const backups = JSON.parse(list.stdout) as Array<{ timestamp: string }>;
  assert.ok(backups.length >= 2);
  const rb = await run(process.execPath, [CLI, 'migrate', 'rollback', '--data-dir', dataDir, '--to', backups.at(-1)!.timestamp], { env });
  assert.match(rb.stdout, /row checksums match the backup/);
  assert.equal(checksums(), before);
  // An unknown backup is refused with the list of those available.
  const bad = await run(process.execPath, [CLI, 'migrate', 'rollback', '--data-dir', dataDir, '--to', 'nope'], { env }).catch((e) => e);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /no backup nope; available:/);
});

test.run();

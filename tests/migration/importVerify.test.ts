import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { buildLegacyFixture, seedLegacyRedis, HUGE_CONTENT, UNICODE_TEXT } from '../fixtures/legacy/buildLegacyFixture.js';
import { dbChecksum, importLegacy, targetFile, TARGETS, verifyLegacy, type TargetSlug } from '../../src/migration/index.js';

const run = promisify(execFile);
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const dir = mkdtempSync(join(tmpdir(), 'migrate-import-'));
const prefix = `test:migrate:${randomBytes(4).toString('hex')}:`;
const fx = buildLegacyFixture(join(dir, 'legacy'));
const dataDir = join(dir, 'data');
const source = { from: fx.root, dataDir, redisUrl: REDIS, redisKeyPrefix: prefix };
let redisRejects: Record<string, string[]> = {};

const slugs = Object.keys(TARGETS) as TargetSlug[];
const checksums = () => Object.fromEntries(slugs.map((s) => [s, dbChecksum(targetFile(dataDir, s))?.sha256 ?? null]));
const hub = () => new Database(targetFile(dataDir, 'memory-hub'), { readonly: true });

test.before(async () => {
  redisRejects = await seedLegacyRedis(REDIS, prefix);
});

test.after(async () => {
  const r = new Redis(REDIS);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

test('dry run reports what would happen and writes nothing', async () => {
  const s = await importLegacy({ ...source, dryRun: true });
  assert.ok(s.totals.imported > 40, `imported ${s.totals.imported}`);
  assert.is(s.backupDir, null);
  for (const slug of slugs) assert.not.ok(existsSync(targetFile(dataDir, slug)), `${slug} created by a dry run`);
});

test('imports every legacy store, keeping awkward data intact', async () => {
  const s = await importLegacy(source);
  const labels = new Set(s.units.filter((u) => u.imported > 0).map((u) => u.label));
  for (const l of [
    'orchestrator.memories', 'orchestrator.knowledge_facts', 'orchestrator.memory_relationships', 'orchestrator.context_groups', 'orchestrator.memory_group_mappings',
    'memory-hub-v2.documents', 'memory-hub-v2.sessions', 'memory-hub-v2.experiences',
    'umra.sessions', 'umra.summaries', 'umra.patterns', 'umra.history', 'umra.twins',
    'self-training.training_cycles', 'self-training.cycle_metrics', 'fine-tuner.tuning_jobs', 'fine-tuner.artifacts', 'fine-tuner.tuning_metrics',
    'orchestration-cycles.training_cycles', 'opportunities.learning_opportunities', 'adjuster.parameter_configs', 'adjuster.parameter_history',
    'adjuster.performance_metrics', 'evaluation.performance_metrics', 'evaluation.model_evaluation_scores', 'evaluation.model_performance',
    'active-learning.training_data', 'redis.mem', 'redis.cache',
  ]) assert.ok(labels.has(l), `nothing imported from ${l}`);
  assert.ok(s.backupDir && existsSync(join(s.backupDir, 'manifest.json')));
  // Data-looking files with nothing to import are named, with why.
  const skipped = new Map(s.skipped.map((f) => [f.file, f.reason]));
  assert.match(skipped.get('artifacts/job_1752000000_tiny/config.json') ?? '', /LocalFineTuner job marker/);
  assert.match(skipped.get('data/embeddings.index') ?? '', /FAISS vector index/);
  assert.match(skipped.get('data/embeddings_metadata.json') ?? '', /FAISS vector index/);

  const db = hub();
  try {
    const get = (id: string) => db.prepare('SELECT * FROM memories WHERE memory_id = ?').get(id) as Record<string, any> | undefined;
    assert.is(get('mem-unicode')!.content, UNICODE_TEXT);
    assert.equal(JSON.parse(get('mem-unicode')!.metadata), { note: UNICODE_TEXT, n: 1 });
    assert.equal(JSON.parse(get('mem-escaped')!.metadata).city, 'München');
    assert.is(get('mem-huge')!.content, HUGE_CONTENT);
    assert.is(get('mem-null-json')!.metadata, '{}');
    assert.is(get('mem-null-json')!.tags, '[]');
    assert.is(get('mem-dup-diff')!.content, 'the version in data/');
    assert.ok(get('mem-only-in-backup'));
    assert.is(get('mem-redis-only')!.content, 'only in Redis 🚀');
    assert.is((db.prepare('SELECT COUNT(*) FROM memories WHERE parent_id = ?').pluck().get('mem-session')), 5);
    assert.is(get('doc:knowledge_base:doc-1')!.content, UNICODE_TEXT);
    assert.is(db.prepare(`SELECT topic FROM knowledge_base WHERE memory_id = 'mem-fact'`).pluck().get(), 'Paris');
    // Group ids are renumbered; the mapping still names the right group.
    const groups = db.prepare(`SELECT g.name FROM memory_group_mappings m JOIN context_groups g ON g.id = m.group_id WHERE m.memory_id = 'mem-plain'`).pluck().all();
    assert.equal(groups, ['second', 'second']);
    assert.equal(JSON.parse(db.prepare(`SELECT twin_data FROM umra_twins WHERE user_id = 'default'`).pluck().get() as string).name, 'Zoë');
    assert.equal(db.prepare(`SELECT content FROM umra_interactions WHERE session_id = 'user_2025-07-20' ORDER BY seq`).pluck().all(),
      ['SELECT * FROM sqlite_master', UNICODE_TEXT, 'Bonjour 👋']);
    assert.equal(JSON.parse(db.prepare(`SELECT value FROM kv_entries WHERE namespace = 'legacy-cache.memory' AND key = 'abc'`).pluck().get() as string).text, UNICODE_TEXT);

    // Every broken row is reported with its source and id, and kept with its raw values.
    const expected = { ...fx.expectedRejects, ...redisRejects };
    for (const [label, keys] of Object.entries(expected)) {
      for (const key of keys) {
        assert.ok(s.rejects.some((r) => r.unit.startsWith(label.split('.')[0]!) && r.unit.endsWith(`:${label.split('.')[1]}`) && r.key === key), `no reject for ${label} ${key}`);
      }
    }
    const total = Object.values(expected).reduce((a, k) => a + k.length, 0);
    assert.is(s.totals.rejected, total, JSON.stringify(s.rejects, null, 1));
    const raw = db.prepare(`SELECT raw, source_file FROM import_rejects WHERE src_key = 'mem-bad-json'`).get() as { raw: string; source_file: string };
    assert.is(raw.source_file, 'data/unified_memory.db');
    assert.is(JSON.parse(raw.raw).metadata, '{"unterminated": ');
  } finally {
    db.close();
  }
});

test('verify passes: every source row imported unchanged or recorded as rejected', async () => {
  const r = await verifyLegacy(source);
  assert.ok(r.ok, JSON.stringify(r.units.filter((u) => u.mismatchCount), null, 1));
  for (const u of r.units) {
    assert.is(u.matched + u.rejected, u.source, u.unit);
    assert.is(u.sourceChecksum, u.targetChecksum, u.unit);
  }
});

test('a second import changes nothing', async () => {
  const before = checksums();
  const s = await importLegacy(source);
  assert.is(s.totals.imported, 0);
  assert.is(s.totals.duplicates, 0);
  assert.equal(checksums(), before);
});

test('verify names rows that were altered or lost after the import', async () => {
  const db = new Database(targetFile(dataDir, 'memory-hub'));
  db.prepare(`UPDATE memories SET content = 'tampered' WHERE memory_id = 'mem-plain'`).run();
  db.prepare(`DELETE FROM umra_twins WHERE user_id = 'user-2'`).run();
  db.close();
  const r = await verifyLegacy(source);
  assert.not.ok(r.ok);
  const problems = r.units.flatMap((u) => u.mismatches.map((m) => `${u.label} ${m.key}: ${m.problem}`));
  assert.ok(problems.some((p) => p.startsWith('orchestrator.memories mem-plain: content differs in content')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('umra.twins user-2: imported row umra_twins') && p.endsWith('is missing')), problems.join('\n'));
  const bad = r.units.find((u) => u.label === 'orchestrator.memories' && u.sourceFile === 'data/unified_memory.db')!;
  assert.is.not(bad.sourceChecksum, bad.targetChecksum);

  // The CLI says the same and exits 1.
  const cli = await run(process.execPath, [join(process.cwd(), 'bin', 'agent-suites.js'), 'migrate', 'verify', '--from', fx.root, '--data-dir', dataDir,
    '--redis', REDIS, '--redis-prefix', prefix], { env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' } }).catch((e) => e);
  assert.is(cli.code, 1);
  assert.match(cli.stdout, /MISMATCH +orchestrator\.memories[\s\S]*\[mem-plain\] content differs in content/);
  assert.match(cli.stdout, /\[user-2\] imported row umra_twins/);
});

test.run();

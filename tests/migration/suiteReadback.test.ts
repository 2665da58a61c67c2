import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLegacyFixture, HUGE_CONTENT, UNICODE_TEXT } from '../fixtures/legacy/buildLegacyFixture.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { importLegacy, verifyLegacy } from '../../src/migration/index.js';

const dir = mkdtempSync(join(tmpdir(), 'migrate-readback-'));
const fx = buildLegacyFixture(join(dir, 'legacy'));
const dataDir = join(dir, 'data');
let hub: TestSuite | undefined;

test.before(async () => {
  await importLegacy({ from: fx.root, dataDir });
  hub = await startTestSuite('MemoryHub', { dataDir, redisUrl: false });
});

test.after(async () => {
  await hub?.close({ keepData: true });
  rmSync(dir, { recursive: true, force: true });
});

test('a MemoryHub started on the imported data answers legacy reads with the legacy content', async () => {
  const r = await hub!.call({ action: 'get_memory', data: { memory_id: 'mem-unicode' } });
  assert.is(r.status, 'success');
  assert.is(r.memory.content, UNICODE_TEXT);
  assert.equal(r.memory.tags, ['日本', '🚀']);
  const huge = await hub!.call({ action: 'get_memory', data: { memory_id: 'mem-huge' } }, { timeoutMs: 15000 });
  assert.is(huge.memory.content.length, HUGE_CONTENT.length);
  assert.is(huge.memory.content, HUGE_CONTENT);
  const kids = await hub!.call({ action: 'get_children', data: { parent_id: 'mem-session' } });
  assert.is(kids.children.length, 5);
  const fact = await hub!.call({ action: 'get_fact', topic: 'Paris' });
  assert.is(fact.status, 'success', JSON.stringify(fact));
  assert.is(fact.fact.memory_id, 'mem-fact');
  const twin = await hub!.call({ action: 'get_twin', user_id: 'default' });
  assert.equal(twin.twin, { name: 'Zoë', prefs: { theme: 'dark', langs: ['tl', 'en'] } });
});

test('verify --endpoint reads a sample back through the running suite', async () => {
  const v = await verifyLegacy({ from: fx.root, dataDir, endpoint: hub!.endpoint, sampleSize: 6 });
  assert.ok(v.ok, JSON.stringify({ sample: v.sample, units: v.units.filter((u) => u.mismatchCount) }, null, 1));
  assert.ok(v.sample && v.sample.checked >= 6, JSON.stringify(v.sample));
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newMemoryId, uuidV7 } from '../../src/suites/memory-hub/memory/memoryIds.js';
import { MemoryStore } from '../../src/suites/memory-hub/memory/MemoryStore.js';
import { openDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { GroupCommit } from '../../src/stores/sqlite/GroupCommit.js';

// New memory ids: legacy's shape (`mem-` + a UUID) but time-ordered (UUID v7), so the memory_id
// index grows at its end instead of at random leaves.

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a UUID v7: the time in the first 48 bits, version 7, RFC variant', () => {
  const id = uuidV7(0x0123456789ab);
  assert.match(id, V7);
  assert.ok(id.startsWith('01234567-89ab-7'), id);
  const now = Date.now();
  const ms = parseInt(newMemoryId().slice(4).replace(/-/g, '').slice(0, 12), 16);
  assert.ok(Math.abs(ms - now) < 5000, `timestamp ${ms} vs now ${now}`);
});

test('ids of one process are unique and strictly increasing, also past 4,096 in one millisecond', () => {
  const ids = Array.from({ length: 20_000 }, () => newMemoryId());
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} !< ${ids[i]}`);
  assert.is(new Set(ids).size, ids.length);
  // One frozen millisecond: the counter runs out and the next millisecond is borrowed, still in order.
  const t = Date.now() + 60_000;
  const frozen = Array.from({ length: 5000 }, () => uuidV7(t));
  assert.ok(frozen[4999]!.startsWith(uuidV7(t + 1).slice(0, 13)), 'the last ones carry the borrowed millisecond');
  for (let i = 1; i < frozen.length; i++) assert.ok(frozen[i - 1]! < frozen[i]!);
  for (const id of frozen) assert.match(id, V7);
});

test('add_memory without an id mints a time-ordered mem- id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'as-memory-ids-'));
  try {
    const db = openDatabase(join(dir, 'memory_hub.db'), 'memory-hub');
    const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 16 });
    const a = store.add({ content: 'first' });
    const b = store.add({ content: 'second' });
    assert.match(a, /^mem-/);
    assert.match(a.slice(4), V7);
    assert.ok(a < b);
    assert.is(store.add({ content: 'mine', memory_id: 'client-chosen' }), 'client-chosen');
    GroupCommit.for(db).flush();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColumnIndex, kthLargest } from '../../src/suites/memory-hub/search/ColumnIndex.js';
import { BLOCK } from '../../src/suites/memory-hub/search/columnScanKernel.js';
import { HELPER_MIN_BLOCKS } from '../../src/suites/memory-hub/search/columnScanThreads.js';
import { HashingEmbedder } from '../../src/suites/memory-hub/search/HashingEmbedder.js';
import { queryNear, sentence } from '../../scripts/bench/syntheticText.js';

// ColumnIndex (the large-set index for sparse vectors): candidates against an exact scan, growth
// across blocks while a block is part-filled, removal, the i16 sums on dense vectors, negative
// scores, the saved file, and the scan shared with a helper thread.

const embedder = new HashingEmbedder(256);
const N = 3 * BLOCK + 1234; // four blocks, the last part-filled; three capacity doublings
const vectors = Array.from({ length: N }, (_, i) => embedder.embedOne(sentence(i)));

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

/** Exact top-k seqs among `live` (seq = position in `vectors`). */
function exactTop(q: Float32Array, k: number, live: (seq: number) => boolean): number[] {
  const scored: Array<{ seq: number; s: number }> = [];
  vectors.forEach((v, seq) => live(seq) && scored.push({ seq, s: dot(q, v) }));
  return scored.sort((a, b) => b.s - a.s).slice(0, k).map((x) => x.seq);
}

/** Top-k after exact re-scoring of `candidates`, as MemoryVectorIndex does. */
function rescored(q: Float32Array, candidates: number[], k: number): number[] {
  return candidates.map((seq) => ({ seq, s: dot(q, vectors[seq]!) })).sort((a, b) => b.s - a.s).slice(0, k).map((x) => x.seq);
}

function recall(idx: ColumnIndex, live: (seq: number) => boolean, queries = 60): number {
  let hit = 0;
  for (let i = 0; i < queries; i++) {
    const q = embedder.embedOne(queryNear((i * 7919) % N, i));
    const got = new Set(rescored(q, idx.candidates(q, 40), 10));
    for (const s of exactTop(q, 10, live)) if (got.has(s)) hit++;
  }
  return hit / (queries * 10);
}

function filled(): ColumnIndex {
  const idx = new ColumnIndex(256);
  // Uneven chunks, so the capacity grows while the last block is part-filled.
  for (let i = 0, step = 777; i < N; i += step, step = step * 2 + 1) {
    idx.upsertMany(vectors.slice(i, Math.min(N, i + step)).map((vector, j) => ({ seq: i + j, vector })));
  }
  return idx;
}

test('candidates re-scored match an exact scan (four blocks, filled in uneven chunks)', () => {
  const idx = filled();
  assert.is(idx.count, N);
  const r = recall(idx, () => true);
  assert.ok(r >= 0.99, `recall@10 ${r}`);
  // A stored vector finds itself first.
  for (const seq of [0, BLOCK - 1, BLOCK, 2 * BLOCK + 5, N - 1]) assert.is(idx.candidates(vectors[seq]!, 5)[0], seq);
  // Many candidates (a filtered search asks for up to 4096; past 64 the threshold comes from a sort).
  for (let i = 0; i < 10; i++) {
    const q = embedder.embedOne(queryNear(i * 1009, i));
    const wide = idx.candidates(q, 500);
    assert.is(wide.length, 500);
    assert.is(new Set(wide).size, 500);
    const got = new Set(wide);
    assert.ok(exactTop(q, 10, () => true).every((s) => got.has(s)));
  }
});

test('removal: removed vectors are never candidates, the vector moved into the hole still is', () => {
  const idx = filled();
  const removed = new Set<number>();
  for (let i = 0; i < 500; i++) removed.add((i * 104729) % N);
  for (const seq of removed) idx.remove(seq);
  idx.remove(-1); // unknown: no effect
  assert.is(idx.count, N - removed.size);
  for (const seq of [...removed].slice(0, 50)) assert.not.ok(idx.candidates(vectors[seq]!, 200).some((s) => removed.has(s)));
  const live = (seq: number) => !removed.has(seq);
  const r = recall(idx, live);
  assert.ok(r >= 0.99, `recall@10 after removals ${r}`);
  // The last vectors were moved into holes: each still finds itself.
  for (let seq = N - 20; seq < N; seq++) if (live(seq)) assert.is(idx.candidates(vectors[seq]!, 3)[0], seq);
  // Re-adding replaces in place (no duplicate slot).
  idx.upsertMany([{ seq: 3, vector: vectors[3]! }, { seq: 3, vector: vectors[3]! }]);
  assert.is(idx.count, N - removed.size + (removed.has(3) ? 1 : 0));
});

test('dense vectors: no i16 overflow, the query itself ranks first', () => {
  const idx = new ColumnIndex(256);
  const dense = Array.from({ length: 300 }, (_, i) => {
    const v = new Float32Array(256);
    let n = 0;
    for (let j = 0; j < 256; j++) {
      v[j] = Math.sin(i * 31 + j * 7) + 0.5 * Math.cos(i * j);
      n += v[j]! * v[j]!;
    }
    return v.map((x) => x / Math.sqrt(n));
  });
  idx.upsertMany(dense.map((vector, seq) => ({ seq, vector })));
  for (const seq of [0, 17, 299]) assert.is(idx.candidates(dense[seq]!, 1)[0], seq);
  // One-hot vectors hold the largest codes (127): still no wrap-around.
  const hot = new Float32Array(256);
  hot[9] = 1;
  idx.upsertMany([{ seq: 1000, vector: hot }]);
  assert.is(idx.candidates(hot, 1)[0], 1000);
});

test('every score negative: still the k best (empty slots score zero and must not win)', () => {
  // Six full groups of 64 and a part-filled seventh, all scoring below zero against e0. The five
  // best (cosines −0.05 … −0.25) sit in groups 0–4; the part-filled group's empty slots sum to 0,
  // which tops every real group maximum.
  const idx = new ColumnIndex(8);
  const n = 6 * 64 + 10;
  const best = new Map([[10, -0.05], [70, -0.1], [140, -0.15], [200, -0.2], [260, -0.25]]);
  const vs = Array.from({ length: n }, (_, i) => {
    const c = best.get(i) ?? -0.5 - (0.4 * i) / n;
    return Float32Array.from([c, Math.sqrt(1 - c * c), 0, 0, 0, 0, 0, 0]);
  });
  idx.upsertMany(vs.map((vector, seq) => ({ seq, vector })));
  const q = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(idx.candidates(q, 5), [10, 70, 140, 200, 260]);
});

test('saved and loaded: same candidates; a file for other vectors is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'as-column-index-'));
  try {
    const idx = filled();
    idx.remove(7);
    const file = join(dir, 'memory_vectors.columns');
    idx.save(file, { embedder: embedder.name, dims: 256, logId: 42 });
    assert.is(idx.dirty, false);
    const back = new ColumnIndex(256);
    const meta = back.load(file, { embedder: embedder.name, dims: 256 });
    assert.ok(meta);
    assert.is(meta!.logId, 42);
    assert.is(meta!.kind, 'columns');
    assert.is(back.count, N - 1);
    for (let i = 0; i < 20; i++) {
      const q = embedder.embedOne(queryNear(i * 331, i));
      assert.equal(back.candidates(q, 40), idx.candidates(q, 40));
    }
    assert.is(new ColumnIndex(256).load(file, { embedder: 'gguf:other:256', dims: 256 }), undefined);
    assert.is(new ColumnIndex(128).load(file, { embedder: embedder.name, dims: 128 }), undefined);
    // Changes after a load work as before (removal moves slots, growth keeps the codes).
    back.remove(0);
    back.upsertMany([{ seq: 0, vector: vectors[0]! }]);
    assert.is(back.candidates(vectors[0]!, 1)[0], 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kthLargest agrees with a sort (ties, negatives, one bucket, k past the count)', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let t = 0; t < 600; t++) {
    const n = 1 + Math.floor(rand() * 2000);
    const spread = [3, 300, 70_000][t % 3]!; // all ties, one high byte, the whole i16 range
    const v = Int16Array.from({ length: n }, () => Math.max(-32768, Math.min(32767, Math.floor((rand() - 0.5) * spread))));
    const k = 1 + Math.floor(rand() * (n + 5));
    const sorted = Int16Array.from(v).sort();
    assert.is(kthLargest(v, k), k >= n ? sorted[0]! : sorted[n - k]!, `n ${n} k ${k}`);
  }
  assert.is(kthLargest(Int16Array.from([-32768, 32767]), 1), 32767);
  assert.is(kthLargest(Int16Array.from([-32768, 32767]), 2), -32768);
});

test('a helper thread shares large scans: same candidates as one thread; stopped by close and by a reload', async () => {
  const n = HELPER_MIN_BLOCKS * BLOCK + 5000;
  const items = Array.from({ length: n }, (_, seq) => ({ seq, vector: vectors[(seq * 7) % N]! }));
  const one = new ColumnIndex(256, { helperThread: false });
  const failures: Error[] = [];
  const two = new ColumnIndex(256, { onHelperFailure: (err) => failures.push(err) });
  one.upsertMany(items);
  two.upsertMany(items);
  const queries = Array.from({ length: 40 }, (_, i) => embedder.embedOne(queryNear((i * 7919) % N, i)));
  // The helper started when the set passed HELPER_MIN_BLOCKS blocks; it is ready once booted.
  for (let waited = 0; !two.scansOnTwoThreads && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  assert.ok(two.scansOnTwoThreads, 'the helper thread never became ready');
  for (const q of queries) assert.equal(two.candidates(q, 40), one.candidates(q, 40));
  // Both threads took blocks (the caller starts at once, the helper joins when it wakes).
  assert.ok(two.helperBlocksScanned > 0, 'the helper scanned no block');
  assert.not.ok(one.scansOnTwoThreads);
  // Changes between scans are seen by both threads (one memory).
  const moved = { seq: n + 1, vector: queries[3]! };
  one.upsertMany([moved]);
  two.upsertMany([moved]);
  assert.is(two.candidates(queries[3]!, 1)[0], n + 1);
  assert.equal(two.candidates(queries[5]!, 40), one.candidates(queries[5]!, 40));
  // A reload replaces the memory: the old helper goes, a new one starts with the next large scan.
  const dir = mkdtempSync(join(tmpdir(), 'as-column-index-'));
  try {
    const file = join(dir, 'memory_vectors.columns');
    one.save(file, { embedder: embedder.name, dims: 256, logId: 1 });
    assert.ok(two.load(file, { embedder: embedder.name, dims: 256 }));
    assert.not.ok(two.scansOnTwoThreads); // the new helper is still booting
    for (let waited = 0; !two.scansOnTwoThreads && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.ok(two.scansOnTwoThreads, 'no helper after the reload');
    for (const q of queries.slice(0, 10)) assert.equal(two.candidates(q, 40), one.candidates(q, 40));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  two.close();
  assert.not.ok(two.scansOnTwoThreads);
  assert.equal(two.candidates(queries[1]!, 40), one.candidates(queries[1]!, 40));
  assert.equal(failures, []);
});

test.run();

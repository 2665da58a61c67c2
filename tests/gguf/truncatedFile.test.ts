import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFullyAt, writeFully } from '../../src/util/fileRanges.js';
import { buildSyntheticModel } from '../../src/gguf/syntheticModel.js';
import { loadModelWeights } from '../../src/suites/adaptive-learning/trainers/lora/model/loadModel.js';
import { SharedArena } from '../../src/suites/adaptive-learning/trainers/lora/kernels/SharedArena.js';
import { LoraTrainError } from '../../src/suites/adaptive-learning/trainers/lora/LoraTrainError.js';

// Reading whole ranges of a file (src/util/fileRanges.ts, used by the GGUF reader, the trainer's
// weight loader and MemoryHub's column index), and what a file that ends early gives each reader.

const dir = mkdtempSync(join(tmpdir(), 'as-file-ranges-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('readFullyAt fills the range, or says how much there was; writeFully writes everything', () => {
  const file = join(dir, 'bytes.bin');
  const fd = openSync(file, 'w');
  const data = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251);
  writeFully(fd, data.subarray(0, 60_000));
  writeFully(fd, data.subarray(60_000));
  closeSync(fd);
  const rd = openSync(file, 'r');
  try {
    const middle = new Uint8Array(1000);
    assert.is(readFullyAt(rd, middle, 50_000), 1000);
    assert.equal(middle, data.subarray(50_000, 51_000));
    const pastEnd = new Uint8Array(500);
    assert.is(readFullyAt(rd, pastEnd, 99_800), 200, 'only what the file holds');
    assert.equal(pastEnd.subarray(0, 200), data.subarray(99_800));
    assert.is(readFullyAt(rd, new Uint8Array(10), 200_000), 0);
  } finally {
    closeSync(rd);
  }
});

test('a model file cut short: the trainer refuses it, naming the tensor that runs past the end', async () => {
  const path = join(dir, 'cut.gguf');
  await buildSyntheticModel({ architecture: 'llama', blocks: 1 }).write(path);
  truncateSync(path, statSync(path).size - 64);
  let err: unknown;
  try {
    loadModelWeights(path, new SharedArena(1 << 20));
  } catch (e) {
    err = e;
  }
  assert.instance(err, LoraTrainError);
  assert.is((err as LoraTrainError).code, 'MODEL_UNSUPPORTED');
  assert.match((err as Error).message, /runs past the end of the file/);
});

test.run();

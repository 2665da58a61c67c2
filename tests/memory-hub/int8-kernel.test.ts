import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Int8DotKernel } from '../../src/suites/memory-hub/search/int8DotKernel.js';

// The WebAssembly int8 scan equals the integer dot product, for row lengths on and off the
// 16-byte SIMD width, at the extremes of the int8 range, and across a growth of its memory.

function rows(n: number, dims: number, seed: number): Int8Array[] {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 255) - 127;
  return Array.from({ length: n }, () => Int8Array.from({ length: dims }, next));
}

const dot = (a: Int8Array, b: Int8Array): number => a.reduce((sum, x, j) => sum + x * b[j]!, 0);

for (const dims of [1, 16, 100, 256, 385]) {
  test(`scores equal the integer dot product (${dims} values per row)`, () => {
    const kernel = Int8DotKernel.create(dims);
    assert.ok(kernel, 'this runtime has WebAssembly SIMD');
    const matrix = rows(50, dims, dims);
    matrix.push(new Int8Array(dims).fill(127), new Int8Array(dims).fill(-127));
    kernel.reserve(matrix.length);
    matrix.forEach((r, i) => kernel.setRow(i, r));
    for (const q of [...rows(3, dims, 7 * dims), new Int8Array(dims).fill(-127)]) {
      assert.equal(Array.from(kernel.scores(q, matrix.length)), matrix.map((r) => dot(q, r)));
    }
  });
}

test('rows survive the memory growing, and copyRow moves one', () => {
  const dims = 64;
  const kernel = Int8DotKernel.create(dims)!;
  const first = rows(10, dims, 1);
  kernel.reserve(first.length);
  first.forEach((r, i) => kernel.setRow(i, r));
  kernel.reserve(5000); // grows the memory and moves the matrix
  kernel.copyRow(3, 9);
  const q = rows(1, dims, 2)[0]!;
  const expected = first.map((r) => dot(q, r));
  expected[9] = expected[3]!;
  assert.equal(Array.from(kernel.scores(q, first.length)), expected);
});

test.run();

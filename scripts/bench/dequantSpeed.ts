// Micro-benchmark of dequantizeBlocks, the trainer's inner loop: values decoded per second for
// every weight type, contiguous and into a transposed tile (stride), with the ratio to plain
// F32 (a copy) measured in the same run. Not part of CI or `npm run bench`.
//
//   node --import tsx scripts/bench/dequantSpeed.ts [--chunk 4096] [--stride 64] [--ms 300] [--json FILE]
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { WEIGHT_TYPES, GgmlType, ggmlTypeName } from '../../src/gguf/ggufTypes.js';
import { dequantizeBlocks } from '../../src/gguf/quant/dequantize.js';
import { quantizeRow } from '../../src/gguf/quant/quantize.js';
import { roundActivationsLikeGgml, vecDotTypeOf } from '../../src/gguf/quant/activations.js';
import { seededNormal } from '../../src/gguf/syntheticLlama.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

if (process.argv.includes('--help')) {
  console.log('usage: node --import tsx scripts/bench/dequantSpeed.ts [--chunk N values per call, multiple of 256 (4096)] [--stride S for the tile case (64)] [--ms per measurement, best of 3 (300)] [--json FILE]');
  process.exit(0);
}
const chunk = arg('chunk', 4096);
const stride = arg('stride', 64);
const ms = arg('ms', 300);
if (chunk % 256 !== 0) throw new Error('--chunk must be a multiple of 256 (the K-quant block)');
const jsonIdx = process.argv.indexOf('--json');
const jsonPath = jsonIdx >= 0 ? process.argv[jsonIdx + 1] : undefined;

// 64 chunks of source data, so the loop does not sit in L1 on one block.
const CHUNKS = 64;
const rnd = seededNormal(1);
const values = new Float32Array(chunk * CHUNKS);
for (let i = 0; i < values.length; i++) values[i] = rnd();

/** Values per second of `step(call)` over about `ms` milliseconds, after a warm-up. */
function valuesPerSecond(step: (call: number) => void): number {
  for (let i = 0; i < 200; i++) step(i); // warm up: let V8 optimise the code under test
  let calls = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 50; i++, calls++) step(calls);
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return (calls * chunk) / (elapsed / 1000);
}

/** Values per second decoding `chunk` values per call, output stride `s`. */
function measure(type: GgmlType, s: number): number {
  const bytes = quantizeRow(type, values);
  const bytesPerChunk = bytes.length / CHUNKS;
  const out = new Float32Array(chunk * s);
  return valuesPerSecond((call) => dequantizeBlocks(type, bytes, (call % CHUNKS) * bytesPerChunk, chunk, out, call % s, s));
}

// Best of three short runs: the host is shared, and interference only ever slows a run down.
const best = (type: GgmlType, s: number): number => Math.max(measure(type, s), measure(type, s), measure(type, s));
const rows = WEIGHT_TYPES.map((type) => ({ type: ggmlTypeName(type), contiguous: best(type, 1), strided: best(type, stride) }));
const base = rows[0]!; // F32: a copy
const fmt = (v: number): string => `${(v / 1e6).toFixed(0)}`;
const table = [
  ['type', 'Mvalues/s', 'vs F32', `Mvalues/s stride ${stride}`, 'vs F32'],
  ...rows.map((r) => [r.type, fmt(r.contiguous), (r.contiguous / base.contiguous).toFixed(2), fmt(r.strided), (r.strided / base.strided).toFixed(2)]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
console.log(`dequantizeBlocks, ${chunk} values per call, ${cpus()[0]?.model.trim()}, node ${process.version}`);
for (const r of table) console.log(r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  '));

/** Values per second through roundActivationsLikeGgml for weights of `type` (a fresh copy each call). */
function measureActivations(type: GgmlType): number {
  const x = new Float32Array(chunk);
  return valuesPerSecond((call) => {
    x.set(values.subarray((call % CHUNKS) * chunk, (call % CHUNKS + 1) * chunk));
    roundActivationsLikeGgml(type, x, 0, chunk);
  });
}

const activationTypes = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q4_K];
const activationRows = activationTypes.map((type) => ({
  activations: ggmlTypeName(vecDotTypeOf(type)),
  rate: Math.max(measureActivations(type), measureActivations(type), measureActivations(type)),
}));
console.log(`\nroundActivationsLikeGgml (includes copying the input), ${chunk} values per call`);
for (const r of activationRows) console.log(`${r.activations.padEnd(5)}  ${fmt(r.rate).padStart(6)} Mvalues/s  ${(r.rate / activationRows[0]!.rate).toFixed(2)} vs F32 (copy only)`);
if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ chunk, stride, date: new Date().toISOString(), rows, activationRows }, null, 2));

/**
 * The WebAssembly kernel of ColumnIndex: approximate scores of every stored vector against one
 * query, reading only the columns (dimensions) where the query is not zero.
 *
 * Codes are laid out dimension-major in blocks of BLOCK vectors: block b holds, for each of the
 * `dims` dimensions in turn, BLOCK int8 codes (one per vector). A query with 29 non-zero values
 * out of 256 (a four-word hashing-embedder query) therefore reads 29 contiguous runs per block,
 * about an eighth of the bytes a row-major scan would.
 *
 *   colscore(table, quads, codes, blockFrom, blockTo, out, gmax)
 *     table: `quads` entries of 32 bytes: four dimension numbers (i32), then their four query
 *            codes (i32; padding entries have code 0);
 *     for each block b in [blockFrom, blockTo):
 *       out[b·BLOCK + r] = Σ over the table's dimensions j of qcode_j · code(b, j, r)   (i16)
 *       gmax[b·BLOCK/GROUP + g] = the largest out value of group g (GROUP vectors)   (i16)
 *
 * Sums are plain i16 adds: the caller scales the query codes so that 127 · Σ|qcode| ≤ 32767,
 * which no sum can exceed. The group maxima let the caller find the best candidates without
 * looking at every score (see ColumnIndex.candidates).
 */
import { buildModule, Code, ValType } from '../../../util/wasm/assembler.js';

/** Vectors per block: a block's i16 sums (16 KiB) stay in the first-level cache while its columns stream by. */
export const BLOCK = 8192;
/** Vectors per group maximum. */
export const GROUP = 64;
/** Bytes per table entry (four dimensions and their four codes). */
export const QUAD_BYTES = 32;

export type ColScore = (table: number, quads: number, codes: number, blockFrom: number, blockTo: number, out: number, gmax: number) => void;

function colscoreModule(dims: number): Uint8Array<ArrayBuffer> {
  const c = new Code([ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32]);
  const [TABLE, QUADS, CODES, FROM, TO, OUT, GMAX] = [0, 1, 2, 3, 4, 5, 6];
  const b = c.local(ValType.I32), d = c.local(ValType.I32), acc = c.local(ValType.I32), a = c.local(ValType.I32);
  const end = c.local(ValType.I32), entry = c.local(ValType.I32), gp = c.local(ValType.I32);
  const p = [0, 1, 2, 3].map(() => c.local(ValType.I32));
  const q = [0, 1, 2, 3].map(() => c.local(ValType.V128));
  const x = [0, 1, 2, 3].map(() => c.local(ValType.V128));
  const mx = c.local(ValType.V128);
  c.get(FROM).set(b);
  c.block().loop().get(b).get(TO).i32GeS().brIf(1);
  // This block's sums: zeroed, then every table entry's four columns added in.
  c.get(OUT).get(b).i32(BLOCK * 2).i32Mul().i32Add().set(acc);
  c.get(acc).i32(BLOCK * 2).i32Add().set(end);
  c.get(acc).set(a);
  c.block().loop().get(a).get(end).i32GeS().brIf(1);
  c.get(a).v128Zero().v128Store(0).get(a).v128Zero().v128Store(16);
  c.inc(a, 32).br(0).end().end();
  c.get(TABLE).set(entry);
  c.i32(0).set(d);
  c.block().loop().get(d).get(QUADS).i32GeS().brIf(1);
  for (let k = 0; k < 4; k++) {
    // Column j of block b starts at codes + (b·dims + j)·BLOCK.
    c.get(CODES).get(b).i32(dims).i32Mul().get(entry).i32Load(4 * k).i32Add().i32(BLOCK).i32Mul().i32Add().set(p[k]!);
    c.get(entry).i32Load(16 + 4 * k).i16x8Splat().set(q[k]!);
  }
  c.get(acc).set(a);
  c.block().loop().get(a).get(end).i32GeS().brIf(1);
  for (let k = 0; k < 4; k++) c.get(p[k]!).v128Load(0).set(x[k]!);
  // 16 vectors: the low 8 codes of each column widen to i16 and multiply their query code, then the high 8.
  for (const [half, offset] of [['low', 0], ['high', 16]] as const) {
    c.get(a).get(a).v128Load(offset);
    for (let k = 0; k < 4; k++) {
      c.get(x[k]!);
      if (half === 'low') c.i16x8ExtendLowI8x16S(); else c.i16x8ExtendHighI8x16S();
      c.get(q[k]!).i16x8Mul().i16x8Add();
    }
    c.v128Store(offset);
  }
  for (let k = 0; k < 4; k++) c.inc(p[k]!, 16);
  c.inc(a, 32).br(0).end().end();
  c.inc(entry, QUAD_BYTES).inc(d, 1).br(0).end().end();
  // Group maxima: GROUP sums are GROUP/8 vectors, folded to one lane.
  c.get(GMAX).get(b).i32((BLOCK / GROUP) * 2).i32Mul().i32Add().set(gp);
  c.get(acc).set(a);
  c.block().loop().get(a).get(end).i32GeS().brIf(1);
  c.get(a).v128Load(0).set(mx);
  for (let k = 1; k < GROUP / 8; k++) c.get(mx).get(a).v128Load(16 * k).i16x8MaxS().set(mx);
  for (const lanes of [[8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7], [4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15], [2, 3, 0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]]) {
    c.get(mx).get(mx).get(mx).i8x16Shuffle(lanes).i16x8MaxS().set(mx);
  }
  c.get(gp).get(mx).i16x8ExtractLaneS(0).i32Store16(0);
  c.inc(gp, 2).inc(a, GROUP * 2).br(0).end().end();
  c.inc(b, 1).br(0).end().end();
  // Shared: the index's memory is read by a helper thread too (columnScanThreads.ts).
  return buildModule([{ name: 'colscore', code: c }], { minPages: 1, maxPages: MAX_PAGES, shared: true });
}

/** Most pages of an index's memory: 4 GiB, what a WebAssembly memory can address. */
export const MAX_PAGES = 65536;

/** A memory the kernel can use: shared (so a helper thread can scan it too), growable to 4 GiB. */
export function columnScanMemory(pages: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
}

/** The compiled kernel for `dims`-dimensional codes; undefined where WebAssembly SIMD or threads are missing. */
export function columnScanModule(dims: number): WebAssembly.Module | undefined {
  try {
    const module = new WebAssembly.Module(colscoreModule(dims));
    new WebAssembly.Instance(module, { env: { memory: columnScanMemory(1) } });
    return module;
  } catch {
    return undefined;
  }
}

/** The kernel of `module` (from columnScanModule) on `memory` (from columnScanMemory). */
export function columnScanKernel(module: WebAssembly.Module, memory: WebAssembly.Memory): ColScore {
  return new WebAssembly.Instance(module, { env: { memory } }).exports.colscore as ColScore;
}

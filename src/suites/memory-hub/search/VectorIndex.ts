import { Int8DotKernel, quantize } from './int8DotKernel.js';

export interface VectorHit {
  seq: number;
  similarity: number;
}

/** Below this many vectors a plain float scan is already fast; the int8 pass starts above it. */
const QUANTIZED_MIN_ROWS = 4096;

/**
 * Cosine search over normalised vectors held in one contiguous Float32Array (row-major, `dims`
 * floats per slot): no per-vector objects, removal swaps the last row into the hole.
 * Vectors must be L2-normalised by the caller; the dot product is then the cosine.
 *
 * Large indexes are searched in two passes: every row is scored with int8 codes (a quarter of
 * the bytes, WebAssembly SIMD, see int8DotKernel.ts), then the best max(8·k, 64) candidates are
 * re-scored exactly in float32. Quantisation error is about 1e-3 in cosine, far below the gap
 * between the 10th and the 80th neighbour, so the final top-k equals the exact one in practice
 * (tests compare against an exhaustive sort). Without WASM SIMD the exact scan is used.
 */
export class VectorIndex {
  private matrix: Float32Array;
  private seqs: Float64Array;
  private scales: Float32Array;
  private readonly slotOf = new Map<number, number>();
  private size = 0;
  private readonly kernel?: Int8DotKernel;

  constructor(
    readonly dims: number,
    initialCapacity = 1024,
    opts: { quantized?: boolean } = {},
  ) {
    this.matrix = new Float32Array(initialCapacity * dims);
    this.seqs = new Float64Array(initialCapacity);
    this.scales = new Float32Array(initialCapacity);
    if (opts.quantized !== false) {
      this.kernel = Int8DotKernel.create(dims);
      this.kernel?.reserve(initialCapacity);
    }
  }

  /** Whether the int8 SIMD pass is available (false: exact float scan only). */
  get quantized(): boolean {
    return this.kernel !== undefined;
  }

  get count(): number {
    return this.size;
  }

  has(seq: number): boolean {
    return this.slotOf.has(seq);
  }

  private grow(): void {
    const cap = Math.max(1024, this.seqs.length * 2);
    const m = new Float32Array(cap * this.dims);
    m.set(this.matrix.subarray(0, this.size * this.dims));
    const s = new Float64Array(cap);
    s.set(this.seqs.subarray(0, this.size));
    const sc = new Float32Array(cap);
    sc.set(this.scales.subarray(0, this.size));
    this.matrix = m;
    this.seqs = s;
    this.scales = sc;
    this.kernel?.reserve(cap);
  }

  /** Adds or replaces the vector of `seq`. */
  upsert(seq: number, vector: Float32Array): void {
    if (vector.length !== this.dims) throw new Error(`vector has ${vector.length} dims, index has ${this.dims}`);
    let slot = this.slotOf.get(seq);
    if (slot === undefined) {
      if (this.size === this.seqs.length) this.grow();
      slot = this.size++;
      this.slotOf.set(seq, slot);
      this.seqs[slot] = seq;
    }
    this.matrix.set(vector, slot * this.dims);
    if (this.kernel) {
      const { codes, scale } = quantize(vector);
      this.kernel.setRow(slot, codes);
      this.scales[slot] = scale;
    }
  }

  remove(seq: number): boolean {
    const slot = this.slotOf.get(seq);
    if (slot === undefined) return false;
    const last = --this.size;
    if (slot !== last) {
      const d = this.dims;
      this.matrix.copyWithin(slot * d, last * d, last * d + d);
      const moved = this.seqs[last]!;
      this.seqs[slot] = moved;
      this.scales[slot] = this.scales[last]!;
      this.kernel?.copyRow(last, slot);
      this.slotOf.set(moved, slot);
    }
    this.slotOf.delete(seq);
    return true;
  }

  clear(): void {
    this.slotOf.clear();
    this.size = 0;
  }

  private dot(query: Float32Array, slot: number): number {
    const m = this.matrix;
    const d = this.dims;
    let base = slot * d;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let j = 0;
    for (; j + 3 < d; j += 4, base += 4) {
      s0 += query[j]! * m[base]!;
      s1 += query[j + 1]! * m[base + 1]!;
      s2 += query[j + 2]! * m[base + 2]!;
      s3 += query[j + 3]! * m[base + 3]!;
    }
    for (; j < d; j++, base++) s0 += query[j]! * m[base]!;
    return s0 + s1 + s2 + s3;
  }

  /**
   * Top-k by cosine with similarity ≥ minSimilarity. `only` restricts the scan to a set of seqs
   * (filtered searches): when it is small, only those rows are scored.
   */
  search(query: Float32Array, k: number, minSimilarity = -1, only?: Set<number>): VectorHit[] {
    if (k <= 0 || this.size === 0) return [];
    if (this.kernel && this.size >= QUANTIZED_MIN_ROWS && !(only && only.size < this.size / 2)) {
      return this.searchQuantized(query, k, minSimilarity, only);
    }
    return this.searchExact(query, k, minSimilarity, only);
  }

  /** int8 pass over every row, exact float re-scoring of the best candidates. */
  private searchQuantized(query: Float32Array, k: number, minSimilarity: number, only?: Set<number>): VectorHit[] {
    // The query's own scale is the same for every row, so ranking by the raw products ignores it.
    const { codes } = quantize(query);
    const raw = this.kernel!.scores(codes, this.size);
    const want = Math.min(this.size, Math.max(8 * k, 64));
    // Best `want` approximate scores, kept sorted (descending) in typed arrays: a new candidate
    // shifts the lower ones down once instead of being swapped step by step.
    const candScore = new Float64Array(want);
    const candSlot = new Int32Array(want);
    let n = 0;
    let floor = -Infinity;
    const scales = this.scales;
    for (let slot = 0; slot < raw.length; slot++) {
      const approx = raw[slot]! * scales[slot]!;
      if (approx <= floor) continue;
      if (only && !only.has(this.seqs[slot]!)) continue;
      let i = n < want ? n++ : want - 1;
      while (i > 0 && candScore[i - 1]! < approx) {
        candScore[i] = candScore[i - 1]!;
        candSlot[i] = candSlot[i - 1]!;
        i--;
      }
      candScore[i] = approx;
      candSlot[i] = slot;
      if (n === want) floor = candScore[want - 1]!;
    }
    return Array.from(candSlot.subarray(0, n), (slot) => ({ seq: this.seqs[slot]!, similarity: this.dot(query, slot) }))
      .filter((h) => h.similarity >= minSimilarity)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k);
  }

  /** Exhaustive float scan (small indexes, selective filters, or no WASM SIMD). */
  private searchExact(query: Float32Array, k: number, minSimilarity: number, only?: Set<number>): VectorHit[] {
    const topSeq: number[] = [];
    const topSim: number[] = [];
    let floor = minSimilarity;
    const consider = (slot: number): void => {
      const sim = this.dot(query, slot);
      if (sim < floor || (topSim.length === k && sim <= topSim[k - 1]!)) return;
      let i: number;
      if (topSim.length < k) {
        i = topSim.push(sim) - 1;
        topSeq.push(this.seqs[slot]!);
      } else {
        i = k - 1;
        topSim[i] = sim;
        topSeq[i] = this.seqs[slot]!;
      }
      while (i > 0 && topSim[i - 1]! < topSim[i]!) {
        [topSim[i - 1], topSim[i]] = [topSim[i]!, topSim[i - 1]!];
        [topSeq[i - 1], topSeq[i]] = [topSeq[i]!, topSeq[i - 1]!];
        i--;
      }
      if (topSim.length === k) floor = Math.max(minSimilarity, topSim[k - 1]!);
    };
    if (only && only.size < this.size / 2) {
      for (const seq of only) {
        const slot = this.slotOf.get(seq);
        if (slot !== undefined) consider(slot);
      }
    } else {
      for (let slot = 0; slot < this.size; slot++) {
        if (only && !only.has(this.seqs[slot]!)) continue;
        consider(slot);
      }
    }
    return topSeq.map((seq, i) => ({ seq, similarity: topSim[i]! }));
  }
}

/**
 * Records request latencies and reports percentiles. Samples are kept exactly (a growable
 * Float64Array, milliseconds) because a benchmark run holds at most a few hundred thousand of
 * them; `buckets()` gives a coarse log-scale histogram for printing.
 */
export class LatencyHistogram {
  private samples = new Float64Array(4096);
  private n = 0;
  private sorted = true;

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (this.n === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.n++] = ms;
    this.sorted = false;
  }

  reset(): void {
    this.n = 0;
    this.sorted = true;
  }

  private view(): Float64Array {
    const v = this.samples.subarray(0, this.n);
    if (!this.sorted) {
      v.sort();
      this.sorted = true;
    }
    return v;
  }

  /** Nearest-rank percentile, p in [0, 100]; NaN without samples. */
  percentile(p: number): number {
    if (this.n === 0) return Number.NaN;
    const v = this.view();
    const rank = Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1));
    return v[rank]!;
  }

  mean(): number {
    if (this.n === 0) return Number.NaN;
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.samples[i]!;
    return s / this.n;
  }

  max(): number {
    return this.n === 0 ? Number.NaN : this.view()[this.n - 1]!;
  }

  /** Counts per power-of-two bucket upper bound in ms (0.0625, 0.125, … ms). */
  buckets(): Array<{ le_ms: number; count: number }> {
    const out: Array<{ le_ms: number; count: number }> = [];
    const v = this.view();
    let bound = 0.0625;
    let i = 0;
    while (i < v.length) {
      let c = 0;
      while (i < v.length && v[i]! <= bound) {
        c++;
        i++;
      }
      if (c) out.push({ le_ms: bound, count: c });
      bound *= 2;
    }
    return out;
  }
}

// The training loss: mean next-token cross-entropy over the positions that count.

/**
 * Rows [t0, t1) of the token-level cross-entropy: dlogits for those rows (the loss's gradient
 * scaled by `gradScale`) and each row's loss term (0 where the position does not count) in
 * rowLoss. Rows are independent, so the kernel threads can share them out.
 */
export function crossEntropyRows(logits: Float32Array, targets: ArrayLike<number>, weights: ArrayLike<number> | undefined, V: number, gradScale: number,
  dlogits: Float32Array, rowLoss: Float64Array, t0: number, t1: number): void {
  for (let t = t0; t < t1; t++) {
    const w = weights ? weights[t]! : 1;
    const o = t * V;
    if (!w) { dlogits.fill(0, o, o + V); rowLoss[t] = 0; continue; }
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v]! > max) max = logits[o + v]!;
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[o + v]! - max);
    const lse = max + Math.log(sum);
    const target = targets[t]!;
    rowLoss[t] = (lse - logits[o + target]!) * w;
    const g = gradScale * w;
    for (let v = 0; v < V; v++) dlogits[o + v] = Math.exp(logits[o + v]! - lse) * g;
    dlogits[o + target] -= g;
  }
}

/** The summed loss of crossEntropyRows' row terms (in row order) and the counted positions. */
export function sumRowLosses(rowLoss: Float64Array, weights: ArrayLike<number> | undefined, T: number): { loss: number; count: number } {
  let loss = 0;
  let count = 0;
  for (let t = 0; t < T; t++) {
    const w = weights ? weights[t]! : 1;
    if (!w) continue;
    loss += rowLoss[t]!;
    count += w;
  }
  return { loss, count };
}

/**
 * Token-level cross-entropy on this thread. `targets[t]` is the token after position t;
 * `weights[t]` (0/1) selects positions that count. Returns the summed loss, the counted
 * positions, and dL/dlogits for the sum scaled by `gradScale` (MatmulEngine.crossEntropy: the
 * same on the kernel threads).
 */
export function crossEntropy(logits: Float32Array, targets: ArrayLike<number>, weights: ArrayLike<number> | undefined, V: number, gradScale: number, dlogits = new Float32Array(targets.length * V)): { loss: number; count: number; dlogits: Float32Array } {
  const T = targets.length;
  const rowLoss = new Float64Array(T);
  crossEntropyRows(logits, targets, weights, V, gradScale, dlogits, rowLoss, 0, T);
  return { ...sumRowLosses(rowLoss, weights, T), dlogits };
}

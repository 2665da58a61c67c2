// The training loss: mean next-token cross-entropy over the positions that count.

/**
 * Token-level cross-entropy. `targets[t]` is the token after position t; `weights[t]` (0/1)
 * selects positions that count. Returns the summed loss, the counted positions, and
 * dL/dlogits for the sum scaled by `gradScale`.
 */
export function crossEntropy(logits: Float32Array, targets: ArrayLike<number>, weights: ArrayLike<number> | undefined, V: number, gradScale: number, dlogits = new Float32Array(targets.length * V)): { loss: number; count: number; dlogits: Float32Array } {
  const T = targets.length;
  let loss = 0;
  let count = 0;
  for (let t = 0; t < T; t++) {
    const w = weights ? weights[t]! : 1;
    const o = t * V;
    if (!w) { dlogits.fill(0, o, o + V); continue; }
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v]! > max) max = logits[o + v]!;
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[o + v]! - max);
    const lse = max + Math.log(sum);
    const target = targets[t]!;
    loss += (lse - logits[o + target]!) * w;
    count += w;
    const g = gradScale * w;
    for (let v = 0; v < V; v++) dlogits[o + v] = Math.exp(logits[o + v]! - lse) * g;
    dlogits[o + target] -= g;
  }
  return { loss, count, dlogits };
}

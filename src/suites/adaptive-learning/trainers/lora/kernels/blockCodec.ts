// TEMPORARY: activation rounding for F32/F16/Q8_0 only, until src/gguf/quant has it.
export { dequantizeBlocks } from '../../../../../gguf/quant/dequantize.js';
import { floatToHalf, halfToFloat } from '../../../../../gguf/halfFloat.js';

const HALF = new Float32Array(65536);
for (let i = 0; i < 65536; i++) HALF[i] = halfToFloat(i);

export function roundActivationsLikeGgml(weightType: number, x: Float32Array, offset: number, n: number): void {
  if (weightType === 0) return;
  if (weightType === 1) { for (let i = offset; i < offset + n; i++) x[i] = HALF[floatToHalf(x[i]!)]!; return; }
  if (weightType === 8) {
    for (let b = offset; b < offset + n; b += 32) {
      let amax = 0;
      for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[b + i]!));
      const d = amax / 127;
      const id = d ? 1 / d : 0;
      const dh = HALF[floatToHalf(d)]!;
      for (let i = 0; i < 32; i++) x[b + i] = dh * Math.round(x[b + i]! * id);
    }
    return;
  }
  throw new Error(`type ${weightType} not supported yet`);
}

/** Values per block of the activation format llama.cpp multiplies this weight type with. */
export function activationBlockOf(weightType: number): number {
  return weightType === 8 ? 32 : 1;
}

/** Weight types whose activations llama.cpp rounds identically share a class (its vec_dot type). */
export function activationClassOf(weightType: number): number {
  switch (weightType) {
    case 2: case 6: case 8: return 8; // Q4_0, Q5_0, Q8_0 → Q8_0
    case 3: case 7: return 9; // Q4_1, Q5_1 → Q8_1
    case 10: case 11: case 12: case 13: case 14: return 15; // K-quants → Q8_K
    default: return weightType;
  }
}

// The block codecs the kernels use, from the GGUF layer: dequantisation of weight blocks, and the
// rounding llama.cpp's CPU backend applies to activations before a product with each weight type.
import { vecDotTypeOf } from '../../../../../gguf/quant/activations.js';

export { dequantizeBlocks } from '../../../../../gguf/quant/dequantize.js';
export { roundActivationsLikeGgml } from '../../../../../gguf/quant/activations.js';

/** Weight types whose activations llama.cpp rounds identically share a class (their vec_dot type). */
export function activationClassOf(weightType: number): number {
  return vecDotTypeOf(weightType);
}

// The GGUF block codecs: decode stored weights (bit-exact with ggml), encode values into any
// weight type, and round activations the way llama.cpp's CPU matmul does.
export { dequantizeBlocks, canDequantize, quantizedByteLength } from './dequantize.js';
export { quantizeRow, canQuantize } from './quantize.js';
export { roundActivationsLikeGgml, vecDotTypeOf, q8_1SumErrors } from './activations.js';

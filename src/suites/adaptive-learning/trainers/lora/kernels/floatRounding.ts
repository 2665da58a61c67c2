// Float → integer rounding without f32x4.nearest + i32x4.trunc_sat_f32x4_s (about nine x64
// instructions between them): adding 1.5 · 2²³ to a float of magnitude below 2²² rounds it to an
// integer (half to even, the default rounding) held in the low mantissa bits, and subtracting that
// constant's bits as an int32 leaves the integer. Used by the integer kernels' quantisation and by
// the exp's 2^k.

/** 1.5 · 2²³. */
export const ROUNDING_MAGIC = 12582912;
/** ROUNDING_MAGIC's bits as an int32. */
export const ROUNDING_MAGIC_BITS = 0x4b400000;

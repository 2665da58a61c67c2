/*
 * Native kernels for the built-in LoRA trainer (optional; the trainer falls back to its
 * WebAssembly kernels when this addon is not built or the CPU lacks AVX2): the integer product
 * igemm (AVX2, AVX-512 BW), the f32 products gemm / gemmT (AVX-512), and huge-page advice.
 *
 * igemm here computes exactly what intGemmModule.ts's igemm computes, on the same operand layouts
 * in the same shared WebAssembly memory: exact int32 sums per segment, then, per segment and in the
 * same order, f += float(sum) * (sw * sx). Compiled with -ffp-contract=off so that no multiply-add
 * is fused: the results are bit-equal to the WebAssembly kernel's.
 *
 * WebAssembly SIMD has 128-bit vectors; AVX2's vpmaddwd does sixteen 16-bit multiply-adds per
 * instruction on 256-bit vectors, AVX-512's thirty-two on 512. Measured on one core of this
 * project's 2-core EPYC host (best of 5, .scratch-style loop over 64 rows × 64 tokens, noisy host):
 * at 32-value segments (Q4_0) WebAssembly 28–38, AVX2 35–59, AVX-512 48–67 G multiply-adds/s; at
 * 256 WebAssembly 36–46, AVX2 52–77, AVX-512 64–82. The widest kernel the CPU has is used.
 * Tried and left out: 4 rows × 4 tokens per pass (no faster); AVX-VNNI's 256-bit vpdpwssd (slower
 * at long segments: its result feeds the next step's, a longer chain than vpaddd's); AVX-512 VNNI
 * with even and odd steps in separate accumulators (within noise of vpmaddwd + vpaddd).
 */
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86 1
#include <immintrin.h>
#endif

/*
 * One token pair (t0, t1) against one block of four rows, over every segment of the reduction:
 * f[0..3] = token t0's outputs for rows 0..3, f[4..7] = token t1's. Per segment, the exact integer
 * sums become floats and f += sum · (sw · sx), in that order (the WebAssembly kernel's).
 */
typedef void PairFn(const uint8_t *pw, const uint8_t *px, const uint8_t *psw, uint32_t swStride,
                    const float *psx0, const float *psx1, uint32_t nSeg, uint32_t segSteps, float f[8]);

#ifdef HAVE_X86
#define AVX2 __attribute__((target("avx2")))
#define AVX512 __attribute__((target("avx2,avx512f,avx512bw")))

/* f += sums · (sw · sx) for one segment: lanes 0..3 token t0 (rows 0..3), 4..7 token t1. */
AVX2 static inline __m256 scale_segment(__m256 f, __m256i sums, const uint8_t *psw, float sx0, float sx1) {
  __m128 swv = _mm_loadu_ps((const float *)psw);
  __m256 sw8 = _mm256_set_m128(swv, swv);
  __m256 sx8 = _mm256_set_m128(_mm_set1_ps(sx1), _mm_set1_ps(sx0));
  return _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(sw8, sx8)), f);
}

/* AVX2: a step's 8 values of k for rows 0-1 and rows 2-3 in two 256-bit loads, the token pair in a
 * third and, halves swapped, a fourth register: four vpmaddwd give all eight (row, token) sums. */
AVX2 static void pair_avx2(const uint8_t *pw, const uint8_t *px, const uint8_t *psw, uint32_t swStride,
                           const float *psx0, const float *psx1, uint32_t nSeg, uint32_t segSteps, float f[8]) {
  __m256 acc = _mm256_setzero_ps();
  for (uint32_t s = 0; s < nSeg; s++) {
    const uint8_t *end = pw + (size_t)segSteps * 64;
    __m256i xv = _mm256_loadu_si256((const __m256i *)px);
    __m256i xs = _mm256_permute2x128_si256(xv, xv, 1);
    __m256i w01 = _mm256_loadu_si256((const __m256i *)pw);
    __m256i w23 = _mm256_loadu_si256((const __m256i *)(pw + 32));
    /* a = (r0·t0 | r1·t1), b = (r0·t1 | r1·t0), c = (r2·t0 | r3·t1), d = (r2·t1 | r3·t0) */
    __m256i a = _mm256_madd_epi16(w01, xv), b = _mm256_madd_epi16(w01, xs);
    __m256i c = _mm256_madd_epi16(w23, xv), d = _mm256_madd_epi16(w23, xs);
    for (pw += 64, px += 32; pw < end; pw += 64, px += 32) {
      xv = _mm256_loadu_si256((const __m256i *)px);
      xs = _mm256_permute2x128_si256(xv, xv, 1);
      w01 = _mm256_loadu_si256((const __m256i *)pw);
      w23 = _mm256_loadu_si256((const __m256i *)(pw + 32));
      a = _mm256_add_epi32(a, _mm256_madd_epi16(w01, xv));
      b = _mm256_add_epi32(b, _mm256_madd_epi16(w01, xs));
      c = _mm256_add_epi32(c, _mm256_madd_epi16(w23, xv));
      d = _mm256_add_epi32(d, _mm256_madd_epi16(w23, xs));
    }
    /* hadd works within 128-bit halves. */
    __m256i h1 = _mm256_hadd_epi32(a, b);   /* lo: r0t0 r0t0 r0t1 r0t1 | hi: r1t1 r1t1 r1t0 r1t0 */
    __m256i h2 = _mm256_hadd_epi32(c, d);   /* lo: r2t0 r2t0 r2t1 r2t1 | hi: r3t1 r3t1 r3t0 r3t0 */
    __m256i h3 = _mm256_hadd_epi32(h1, h2); /* lo: r0t0 r0t1 r2t0 r2t1 | hi: r1t1 r1t0 r3t1 r3t0 */
    __m256i sums = _mm256_permutevar8x32_epi32(h3, _mm256_setr_epi32(0, 5, 2, 7, 1, 4, 3, 6));
    acc = scale_segment(acc, sums, psw, *psx0++, *psx1++);
    psw += swStride;
  }
  _mm256_storeu_ps(f, acc);
}

/* AVX-512: one 512-bit load holds a step's four rows and the token pair is broadcast to both
 * halves, so a step is two vpmaddwd on 32 lanes instead of four on 16. */
AVX512 static void pair_avx512(const uint8_t *pw, const uint8_t *px, const uint8_t *psw, uint32_t swStride,
                               const float *psx0, const float *psx1, uint32_t nSeg, uint32_t segSteps, float f[8]) {
  /* After the reduction, 128-bit lane L holds (a_L, b_L) in its first two dwords, where
   * a = (r0t0 | r1t1 | r2t0 | r3t1) and b = (r0t1 | r1t0 | r2t1 | r3t0): gather t0's rows, then t1's. */
  const __m512i order = _mm512_setr_epi32(0, 5, 8, 13, 1, 4, 9, 12, 0, 0, 0, 0, 0, 0, 0, 0);
  __m256 acc = _mm256_setzero_ps();
  for (uint32_t s = 0; s < nSeg; s++) {
    const uint8_t *end = pw + (size_t)segSteps * 64;
    __m512i xv = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)px));
    __m512i xs = _mm512_shuffle_i64x2(xv, xv, 0xB1); /* (t1 | t0 | t1 | t0) */
    __m512i wv = _mm512_loadu_si512((const void *)pw);
    __m512i a = _mm512_madd_epi16(wv, xv), b = _mm512_madd_epi16(wv, xs);
    for (pw += 64, px += 32; pw < end; pw += 64, px += 32) {
      xv = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)px));
      xs = _mm512_shuffle_i64x2(xv, xv, 0xB1);
      wv = _mm512_loadu_si512((const void *)pw);
      a = _mm512_add_epi32(a, _mm512_madd_epi16(wv, xv));
      b = _mm512_add_epi32(b, _mm512_madd_epi16(wv, xs));
    }
    __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    u = _mm512_add_epi32(u, _mm512_shuffle_epi32(u, 0x4E)); /* + the other half of each lane */
    __m256i sums = _mm512_castsi512_si256(_mm512_permutexvar_epi32(order, u));
    acc = scale_segment(acc, sums, psw, *psx0++, *psx1++);
    psw += swStride;
  }
  _mm256_storeu_ps(f, acc);
}

/*
 * gemm / gemmT: C (+)= A·B as gemmModule.ts defines them (A packed in blocks of four rows, 16
 * bytes per k; B and C row-major, strides in bytes; gemmT stores C transposed). Every element is
 * computed as the WebAssembly kernel computes it: acc = 0, then for k in order acc = a·b + acc,
 * fused (one rounding) when that module was built with relaxed SIMD's multiply-add, else a
 * product and a sum; then C = acc or C = acc + C. So the results are bit-equal, whatever the strip
 * widths: here 16 columns per 512-bit vector, a masked vector for the last few.
 */
/* Row i, columns j… (the mask's lanes) of C: stored, or added to what is there (acc + C). */
AVX512 static inline void store_c(uint8_t *m, uint32_t c, uint32_t ldc, uint32_t i, uint32_t j, __m512 v,
                                  __mmask16 mask, uint32_t acc, int transposed) {
  if (!transposed) {
    float *pc = (float *)(m + c + (size_t)i * ldc + (size_t)j * 4);
    if (acc) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, pc));
    _mm512_mask_storeu_ps(pc, mask, v);
    return;
  }
  float lanes[16];
  _mm512_storeu_ps(lanes, v);
  for (uint32_t l = 0; l < 16 && (mask >> l & 1); l++) {
    float *pc = (float *)(m + c + (size_t)(j + l) * ldc + (size_t)i * 4);
    *pc = acc ? lanes[l] + *pc : lanes[l];
  }
}

/* acc + a·b, rounded once (fused) or twice (a product, then a sum). */
AVX512 static inline __m512 multiply_add(__m512 a, __m512 b, __m512 acc, int fused) {
  return fused ? _mm512_fmadd_ps(a, b, acc) : _mm512_add_ps(acc, _mm512_mul_ps(a, b));
}

/* Rows mb… (`rows` ≤ 4, one packed block of A) against every column of B. Inlined into each
 * gemm_avx512 variant, so `fused` and `transposed` are constants there. */
AVX512 static inline __attribute__((always_inline)) void gemm_block(
    uint8_t *m, const uint8_t *pa0, uint32_t b, uint32_t ldb, uint32_t c, uint32_t ldc, uint32_t mb, uint32_t rows,
    uint32_t n, uint32_t k, uint32_t acc, int transposed, int fused) {
  for (uint32_t j = 0; j < n; j += 16) {
    __mmask16 mask = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
    const uint8_t *pa = pa0, *pb = m + b + (size_t)j * 4;
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
    for (uint32_t kk = 0; kk < k; kk++, pa += 16, pb += ldb) {
      __m512 bv = _mm512_maskz_loadu_ps(mask, pb);
      const float *av = (const float *)pa;
      c0 = multiply_add(_mm512_set1_ps(av[0]), bv, c0, fused);
      c1 = multiply_add(_mm512_set1_ps(av[1]), bv, c1, fused);
      c2 = multiply_add(_mm512_set1_ps(av[2]), bv, c2, fused);
      c3 = multiply_add(_mm512_set1_ps(av[3]), bv, c3, fused);
    }
    __m512 cr[4] = {c0, c1, c2, c3};
    for (uint32_t r = 0; r < rows; r++) store_c(m, c, ldc, mb + r, j, cr[r], mask, acc, transposed);
  }
}

AVX512 static void gemm_avx512(uint8_t *m, uint32_t ap, uint32_t aBlockStride, uint32_t b, uint32_t ldb, uint32_t c,
                               uint32_t ldc, uint32_t mRows, uint32_t n, uint32_t k, uint32_t acc, int transposed, int fused) {
  for (uint32_t mb = 0; mb < mRows; mb += 4) {
    uint32_t rows = mRows - mb < 4 ? mRows - mb : 4;
    const uint8_t *pa0 = m + ap + (size_t)(mb / 4) * aBlockStride;
    if (fused) gemm_block(m, pa0, b, ldb, c, ldc, mb, rows, n, k, acc, transposed, 1);
    else gemm_block(m, pa0, b, ldb, c, ldc, mb, rows, n, k, acc, transposed, 0);
  }
}
#endif

/* Stores (acc = 0) or adds (acc ≠ 0) the first `left` (at most 4) outputs of one token. */
static inline void store_row(float *po, const float *f, uint32_t left, uint32_t acc) {
#ifdef HAVE_X86
  if (left >= 4) { /* the usual case, in one SSE store (x86-64's baseline) */
    __m128 v = _mm_loadu_ps(f);
    _mm_storeu_ps(po, acc ? _mm_add_ps(_mm_loadu_ps(po), v) : v);
    return;
  }
#endif
  for (uint32_t l = 0; l < left && l < 4; l++) po[l] = acc ? po[l] + f[l] : f[l];
}

/* The loops over row blocks and token pairs, and the stores; `pair` does the products. */
static void igemm(PairFn *pair, uint8_t *m, uint32_t w, uint32_t wBlockStride, uint32_t x, uint32_t xStride,
                  uint32_t sw, uint32_t swStride, uint32_t sx, uint32_t sxStride, uint32_t out, uint32_t ldo,
                  uint32_t rows, uint32_t T, uint32_t nSeg, uint32_t segSteps, uint32_t acc) {
  for (uint32_t r0 = 0; r0 < rows; r0 += 4) {
    const uint8_t *pw = m + w + (size_t)(r0 / 4) * wBlockStride;
    for (uint32_t t0 = 0; t0 < T; t0 += 2) {
      int two = t0 + 1 < T;
      const float *psx0 = (const float *)(m + sx + (size_t)t0 * sxStride);
      const float *psx1 = two ? (const float *)((const uint8_t *)psx0 + sxStride) : psx0;
      float f[8];
      pair(pw, m + x + (size_t)(t0 >> 1) * xStride, m + sw + (size_t)r0 * 4, swStride, psx0, psx1, nSeg, segSteps, f);
      float *po = (float *)(m + out + (size_t)t0 * ldo + (size_t)r0 * 4);
      store_row(po, f, rows - r0, acc);
      if (two) store_row((float *)((uint8_t *)po + ldo), f + 4, rows - r0, acc);
    }
  }
}

/* Whether this CPU runs the AVX2 kernel and the AVX-512 one (read when the addon loads). */
static void cpu_features(int *avx2, int *avx512) {
#ifdef HAVE_X86
  __builtin_cpu_init();
  *avx2 = __builtin_cpu_supports("avx2");
  *avx512 = *avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#else
  *avx2 = *avx512 = 0;
#endif
}

/*
 * The kernels' calls: (memory: Uint8Array over the whole shared memory, then `count` numbers: byte
 * offsets into that memory and sizes). The view is passed on every call (a microsecond's fraction
 * against a call's work) so that no per-thread state can point at another memory. Reads them into
 * *base and a[], with the function's data in *fdata; on bad input throws a TypeError naming `name`
 * and returns 0.
 */
static int read_call(napi_env env, napi_callback_info info, const char *name, size_t count, uint8_t **base,
                     uint32_t *a, void **fdata) {
  size_t argc = 16;
  napi_value argv[16];
  void *data = NULL;
  size_t length = 0;
  napi_typedarray_type type;
  char message[96];
  napi_get_cb_info(env, info, &argc, argv, NULL, fdata);
  if (argc != count + 1 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    snprintf(message, sizeof message, "%s(memory: Uint8Array, %zu offsets and sizes)", name, count);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_uint32(env, argv[i + 1], &a[i]) != napi_ok) {
      snprintf(message, sizeof message, "%s: arguments 2 to %zu must be numbers", name, count + 1);
      napi_throw_type_error(env, NULL, message);
      return 0;
    }
  }
  *base = (uint8_t *)data;
  return 1;
}

/* igemm(memory, ...the 15 arguments of intGemmModule's igemm); the pair kernel is the function's data. */
static napi_value js_igemm(napi_env env, napi_callback_info info) {
  void *pair = NULL;
  uint8_t *m = NULL;
  uint32_t a[15];
  if (read_call(env, info, "igemm", 15, &m, a, &pair))
    igemm((PairFn *)pair, m, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14]);
  return NULL;
}

/* adviseHugePages(memory: Uint8Array, bytes): asks Linux for transparent huge pages over the 2 MiB
 * pages inside the `bytes` from the view's start (the trainer's memory reservation; THP's usual
 * "madvise" mode only uses them where asked). Returns whether the kernel took the advice. */
static napi_value js_advise_huge_pages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  void *data = NULL;
  size_t length = 0;
  double bytes = 0;
  napi_typedarray_type type;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 2 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      napi_get_value_double(env, argv[1], &bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "adviseHugePages(memory: Uint8Array, bytes: number)");
    return NULL;
  }
  int ok = 0;
#ifdef __linux__
  uintptr_t page = 2u << 20, start = ((uintptr_t)data + page - 1) & ~(page - 1);
  uintptr_t end = ((uintptr_t)data + (uintptr_t)bytes) & ~(page - 1);
  ok = end > start && madvise((void *)start, end - start, MADV_HUGEPAGE) == 0;
#endif
  napi_get_boolean(env, ok, &result);
  return result;
}

/* gemm(memory, ...the 10 arguments of gemmModule's gemm); the variant (bit 0: C transposed, bit 1:
 * fused multiply-add) is the function's data. */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  void *variant = NULL;
  uint8_t *m = NULL;
  uint32_t a[10];
  if (read_call(env, info, "gemm", 10, &m, a, &variant)) {
#ifdef HAVE_X86
    uintptr_t v = (uintptr_t)variant;
    gemm_avx512(m, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], (int)(v & 1), (int)(v >> 1 & 1));
#endif
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn, flag;
  napi_create_function(env, "adviseHugePages", NAPI_AUTO_LENGTH, js_advise_huge_pages, NULL, &fn);
  napi_set_named_property(env, exports, "adviseHugePages", fn);
  int has_avx2, has_avx512;
  cpu_features(&has_avx2, &has_avx512);
  napi_get_boolean(env, has_avx2, &flag);
  napi_set_named_property(env, exports, "avx2", flag);
  napi_get_boolean(env, has_avx512, &flag);
  napi_set_named_property(env, exports, "avx512", flag);
#ifdef HAVE_X86
  /* igemm: the widest kernel this CPU runs; igemmAvx2: the AVX2 one (the tests check both).
   * Without AVX2 neither is exported (avx2: false), and the trainer keeps WebAssembly. */
  if (has_avx2) {
    napi_create_function(env, "igemm", NAPI_AUTO_LENGTH, js_igemm, (void *)(has_avx512 ? pair_avx512 : pair_avx2), &fn);
    napi_set_named_property(env, exports, "igemm", fn);
    napi_create_function(env, "igemmAvx2", NAPI_AUTO_LENGTH, js_igemm, (void *)pair_avx2, &fn);
    napi_set_named_property(env, exports, "igemmAvx2", fn);
  }
  if (has_avx512) {
    /* The f32 products, AVX-512 only: gemm / gemmT, each plain and with fused multiply-add. */
    static const char *names[4] = {"gemm", "gemmT", "gemmFused", "gemmTFused"};
    for (uintptr_t v = 0; v < 4; v++) {
      napi_create_function(env, names[v], NAPI_AUTO_LENGTH, js_gemm, (void *)v, &fn);
      napi_set_named_property(env, exports, names[v], fn);
    }
  }
#endif
  return exports;
}

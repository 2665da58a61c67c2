// The optional native kernels (native/loraKernels.c, built into build/loraKernels.node by
// scripts/buildNative.mjs). Where it loads and the CPU has AVX2, the integer products (igemm) run
// there instead of in WebAssembly (AVX-512 where the CPU has it): the same arguments, the same
// memory, bit-equal results, ~1.5–2× the speed. On AVX-512 CPUs the f32 products (gemm, gemmT:
// the LoRA branches, attention, and the forward of F16/BF16/F32/Q4_1/Q5_1/Q2_K/Q3_K weights) run
// there too, rounding as the WebAssembly module does. The addon also asks for huge pages for the
// trainer's memory (SharedArena). Anywhere else (not built, another CPU,
// AGENT_SUITES_NATIVE_KERNELS=0) the trainer runs its WebAssembly kernels on ordinary pages, so
// nothing depends on a compiler being present.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../../../runtime/sourceLayout.js';
import type { GemmFn } from './gemmModule.js';
import type { IgemmFn } from './intGemmModule.js';

type NativeIgemm = (memory: Uint8Array, ...args: Parameters<IgemmFn>) => void;

interface NativeAddon {
  avx2: boolean;
  avx512: boolean;
  /** The widest kernel this CPU runs (AVX-512 where it has AVX-512 BW, else AVX2). */
  igemm: NativeIgemm;
  /** The AVX2 kernel, whatever the CPU has beyond it (for the tests). */
  igemmAvx2: NativeIgemm;
  adviseHugePages(memory: Uint8Array, bytes: number): boolean;
  /** The f32 products (AVX-512 CPUs only): C = A·B and C transposed, plain and fused multiply-add. */
  gemm?: NativeGemm; gemmT?: NativeGemm; gemmFused?: NativeGemm; gemmTFused?: NativeGemm;
}

type NativeGemm = (memory: Uint8Array, ...args: Parameters<GemmFn>) => void;

export const NATIVE_ADDON_PATH = join(REPO_ROOT, 'build/loraKernels.node');

let addon: NativeAddon | null | undefined;

/** The addon when it is built, loads and can run here; null otherwise (cached per thread). */
export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.AGENT_SUITES_NATIVE_KERNELS === '0' || !existsSync(NATIVE_ADDON_PATH)) return addon;
  try {
    const loaded = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    if (loaded.avx2) addon = loaded;
  } catch { /* built for another Node or CPU: the WebAssembly kernel runs */ }
  return addon;
}

export type IntKernelName = 'native-avx512' | 'native-avx2' | 'wasm-simd';

/** Which integer kernel the trainer's threads run. */
export function intKernelName(): IntKernelName {
  const native = nativeAddon();
  return !native ? 'wasm-simd' : native.avx512 ? 'native-avx512' : 'native-avx2';
}

/** igemm on the native kernel over `memory` (`kernel`: the AVX2 one), or undefined where there is none. */
export function nativeIgemm(memory: WebAssembly.Memory, kernel: 'best' | 'avx2' = 'best'): IgemmFn | undefined {
  const native = nativeAddon();
  if (!native) return undefined;
  return overMemory(memory, kernel === 'avx2' ? native.igemmAvx2 : native.igemm);
}

/**
 * A function over `memory` calling `fn` with a view of it. A shared memory grows in place, so the
 * view's base address stays valid; it is re-made only when the buffer object changes (after a
 * grow), to keep its length right.
 */
function overMemory<A extends unknown[]>(memory: WebAssembly.Memory, fn: (view: Uint8Array, ...args: A) => void): (...args: A) => void {
  let view = new Uint8Array(memory.buffer);
  return (...args) => {
    if (view.buffer !== memory.buffer) view = new Uint8Array(memory.buffer);
    fn(view, ...args);
  };
}

/**
 * gemm and gemmT on the native kernel over `memory`, rounding as the WebAssembly module does
 * (`fused`: its multiply-adds are fused); an empty object where there is none (no AVX-512).
 */
export function nativeGemm(memory: WebAssembly.Memory, fused: boolean): { gemm?: GemmFn; gemmT?: GemmFn } {
  const native = nativeAddon();
  const gemm = fused ? native?.gemmFused : native?.gemm;
  const gemmT = fused ? native?.gemmTFused : native?.gemmT;
  if (!gemm || !gemmT) return {};
  return { gemm: overMemory(memory, gemm), gemmT: overMemory(memory, gemmT) };
}

// The trainer's WebAssembly kernel modules, compiled once per process and handed to every kernel
// thread (a compiled module can be posted to a worker; each thread instantiates it on the shared
// memory, see matmulTasks.instantiateKernels).
import v8 from 'node:v8';
import { elementwiseModuleBytes } from './elementwiseModule.js';
import { gemmModuleBytes } from './gemmModule.js';
import { intGemmModuleBytes } from './intGemmModule.js';

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
let compiled: { module: WebAssembly.Module; fused: boolean } | undefined;
let compiledInt: WebAssembly.Module | undefined;
let compiledElementwise: WebAssembly.Module | undefined;

/** The element-wise kernels' module (gate, residual adds, softmax). */
export function elementwiseModule(): WebAssembly.Module {
  return (compiledElementwise ??= new WebAssembly.Module(elementwiseModuleBytes({ minPages: 1, maxPages: 65536, shared: true })));
}

/** The integer kernels' module (plain SIMD: no flag needed). */
export function intModule(): WebAssembly.Module {
  return (compiledInt ??= new WebAssembly.Module(intGemmModuleBytes({ minPages: 1, maxPages: 65536, shared: true })));
}

/**
 * Compiles the gemm kernel once per process, with fused multiply-add (relaxed SIMD) where the
 * runtime has it: built in from V8 11.4, behind a flag that can be set at run time on Node 20.
 */
export function gemmModule(): { module: WebAssembly.Module; fused: boolean } {
  if (compiled) return compiled;
  const probe = { minPages: 1, maxPages: 65536, shared: true };
  let bytes = gemmModuleBytes(probe, true);
  if (!WebAssembly.validate(bytes)) {
    try { v8.setFlagsFromString(RELAXED_FLAG); } catch { /* not settable: plain SIMD below */ }
  }
  if (!WebAssembly.validate(bytes)) bytes = gemmModuleBytes(probe, false);
  compiled = { module: new WebAssembly.Module(bytes), fused: WebAssembly.validate(gemmModuleBytes(probe, true)) };
  return compiled;
}

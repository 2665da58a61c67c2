// Test helper: runs functions of node-llama-cpp's prebuilt ggml libraries (the code llama.cpp
// really executes here) through a small C program compiled once per test process. Gives the
// codec tests an independent reference for dequantisation, activation quantisation and dot products.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The prebuilt binaries folder node-llama-cpp loads on this platform, or undefined. */
function binsDir(): string | undefined {
  const require = createRequire(import.meta.url);
  const pkg = `@node-llama-cpp/${platform()}-${arch()}`;
  try {
    const root = dirname(dirname(require.resolve(pkg))); // <root>/dist/index.js
    const dir = join(root, 'bins', `${platform()}-${arch()}`);
    return existsSync(join(dir, 'libggml-base.so')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

export interface GgmlReference {
  /** File name of the CPU variant library ggml picks on this machine. */
  cpuVariant: string;
  dequantize(fn: string, blocks: Uint8Array, n: number): Float32Array;
  quantize(lib: 'base' | 'cpu', fn: string, values: Float32Array, outBytes: number): Uint8Array;
  dot(fn: string, n: number, x: Uint8Array, y: Uint8Array): number;
  dispose(): void;
}

/** Compiles the helper, or returns a reason why the reference cannot run here. */
export function openGgmlReference(): GgmlReference | string {
  const bins = binsDir();
  if (!bins) return `node-llama-cpp has no prebuilt ggml libraries for ${platform()}-${arch()}`;
  const work = mkdtempSync(join(tmpdir(), 'ggml-call-'));
  const exe = join(work, 'ggmlCall');
  try {
    execFileSync('cc', ['-O1', '-o', exe, join(HERE, 'ggmlCall.c'), '-ldl'], { stdio: 'pipe' });
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    return `no C compiler to build the ggml reference helper (${(err as Error).message.split('\n')[0]})`;
  }
  const call = (args: string[], input: Uint8Array): Buffer =>
    execFileSync(exe, [bins, ...args], { input, maxBuffer: 1 << 28 });
  const cpuVariant = call(['cpu', 'variant'], new Uint8Array(0)).toString().trim();
  const bytesOf = (v: Float32Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return {
    cpuVariant,
    dequantize: (fn, blocks, n) => {
      const out = call(['base', 'deq', fn, String(n), '0'], blocks);
      return new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
    },
    quantize: (lib, fn, values, outBytes) => new Uint8Array(call([lib, 'quant', fn, String(values.length), String(outBytes)], bytesOf(values))),
    dot: (fn, n, x, y) => {
      const input = new Uint8Array(x.length + y.length);
      input.set(x);
      input.set(y, x.length);
      const out = call(['cpu', 'dot', fn, String(n), '0', String(x.length)], input);
      return out.readFloatLE(0);
    },
    dispose: () => rmSync(work, { recursive: true, force: true }),
  };
}

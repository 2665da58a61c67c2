#!/usr/bin/env node
// Compiles the trainer's optional native kernel (native/loraKernels.c, a Node-API addon) into
// build/loraKernels.node with the system's C compiler and Node's own headers. Optional: where
// there is no compiler, no headers or no x86-64, it says so and exits 0, and the trainer runs its
// WebAssembly kernels (same results, about half the speed in the integer products).
// Runs on `npm ci` (prepare) and `npm run build`, and with `--if-stale` on `npm test`, `npm start`
// and `npm run bench`: only when the source is newer than the addon, or than the note a failed
// build leaves (build/loraKernels.skipped), so a machine without a compiler is told once per
// source change, not on every start. No node-gyp: one source file, one compiler call (~1 s).
//   node scripts/buildNative.mjs [--if-stale]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'native/loraKernels.c');
export const NATIVE_ADDON = join(root, 'build/loraKernels.node');

if (process.argv.includes('--help')) {
  console.log('node scripts/buildNative.mjs [--if-stale]: compile native/loraKernels.c into build/loraKernels.node (optional; needs cc and Node headers)');
  process.exit(0);
}
/** Written when the addon could not be built, so `--if-stale` does not retry (and re-print) on every start. */
const SKIPPED = join(root, 'build/loraKernels.skipped');
const upToDate = (file) => existsSync(file) && statSync(file).mtimeMs >= statSync(source).mtimeMs;
if (process.argv.includes('--if-stale') && (upToDate(NATIVE_ADDON) || upToDate(SKIPPED))) process.exit(0);

/** Node's C headers: npm's nodedir setting, then the prefix this node was installed under. */
function headerDir() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
    process.config.variables?.node_prefix && join(process.config.variables.node_prefix, 'include/node'),
    join(dirname(dirname(process.execPath)), 'include/node'),
  ];
  return candidates.find((d) => d && existsSync(join(d, 'node_api.h')));
}

function skip(reason) {
  rmSync(NATIVE_ADDON, { force: true });
  mkdirSync(dirname(SKIPPED), { recursive: true });
  writeFileSync(SKIPPED, `${reason}\n`);
  console.log(`agent-suites: native trainer kernel not built (${reason}); the trainer uses its WebAssembly kernels (npm run build retries)`);
  process.exit(0);
}

if (process.arch !== 'x64') skip(`written for x86-64, this is ${process.arch}`);
const headers = headerDir();
if (!headers) skip('Node\'s headers (node_api.h) not found; set npm_config_nodedir');
mkdirSync(dirname(NATIVE_ADDON), { recursive: true });
const cc = process.env.CC || 'cc';
// -ffp-contract=off: no fused multiply-adds, so the float steps round exactly as the WebAssembly
// kernel's do. Undefined Node-API symbols resolve against the node binary when it loads the addon.
const args = ['-O3', '-fPIC', '-shared', '-ffp-contract=off', '-Wall', `-I${headers}`, '-o', NATIVE_ADDON, source];
if (process.platform === 'darwin') args.splice(3, 0, '-undefined', 'dynamic_lookup');
try {
  execFileSync(cc, args, { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (err) {
  const detail = err.code === 'ENOENT' ? `no C compiler "${cc}"` : String(err.stderr ?? err.message).trim().split('\n').slice(-2).join(' ');
  skip(detail);
}
rmSync(SKIPPED, { force: true });
console.log(`agent-suites: built ${NATIVE_ADDON}`);

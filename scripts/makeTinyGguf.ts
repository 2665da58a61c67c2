// Writes the tiny llama GGUF fixture used by tests and benchmarks (see design/GGUF_NOTES.md).
// Usage: node --import tsx scripts/makeTinyGguf.ts [--out FILE] [--force]
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSyntheticLlama, type SyntheticLlamaSpec } from '../src/gguf/syntheticLlama.js';
import { openGguf } from '../src/gguf/readGguf.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TINY_MODEL_PATH = resolve(REPO_ROOT, '.cache/models/tiny-llama.gguf');

/** Bump when the fixture's contents change, so stale cached copies are rebuilt. */
const FIXTURE_VERSION = 1;
const VERSION_KEY = 'agent_suites.fixture_version';

export interface EnsureTinyModelOptions {
  /** Where to write; default `.cache/models/tiny-llama.gguf` under the repo root. */
  path?: string;
  /** Rewrite even when a current copy exists. */
  force?: boolean;
  /** Model shape overrides (for larger benchmark models); changes the default file name. */
  spec?: SyntheticLlamaSpec;
}

async function isCurrent(path: string, expectedName: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  try {
    const f = openGguf(path);
    try {
      return f.metadata[VERSION_KEY] === FIXTURE_VERSION && f.metadata['general.name'] === expectedName;
    } finally {
      f.close();
    }
  } catch {
    return false;
  }
}

function specName(spec?: SyntheticLlamaSpec): string {
  if (!spec) return 'tiny-llama';
  if (spec.name) return spec.name;
  const s = { blocks: 2, embd: 64, heads: 4, kvHeads: 2, ff: 128, seed: 1234, ...spec };
  return `synthetic-llama-b${s.blocks}-e${s.embd}-h${s.heads}-kv${s.kvHeads}-ff${s.ff}-s${s.seed}`;
}

/** Returns the absolute path of the tiny model, writing it first if it is missing or stale. */
export async function ensureTinyModel(opts: EnsureTinyModelOptions = {}): Promise<string> {
  const name = specName(opts.spec);
  const path = resolve(opts.path ?? (opts.spec ? resolve(REPO_ROOT, `.cache/models/${name}.gguf`) : TINY_MODEL_PATH));
  if (!opts.force && (await isCurrent(path, name))) return path;
  const writer = buildSyntheticLlama({ ...opts.spec, name });
  writer.setU32(VERSION_KEY, FIXTURE_VERSION);
  await writer.write(path); // temp file + rename: concurrent callers never see half a file
  return path;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? args[outIdx + 1] : undefined;
  if (outIdx >= 0 && !out) {
    console.error('--out needs a file name');
    process.exit(2);
  }
  ensureTinyModel({ path: out ? resolve(out) : undefined, force: args.includes('--force') || !!out })
    .then((p) => console.log(p))
    .catch((err) => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
}

// Writes the small GGUF models used by tests and benchmarks (see design/GGUF_NOTES.md): the tiny
// llama fixture by default, or a model of another architecture / weight type on request.
// Usage: node --import tsx scripts/makeTinyGguf.ts --help
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  QUANTISED_WIDTHS, SYNTHETIC_ARCHITECTURES, buildSyntheticModel, defaultWidths,
  type SyntheticArchitecture, type SyntheticModelSpec,
} from '../src/gguf/syntheticModel.js';
import { GgmlType, WEIGHT_TYPES, ggmlTypeFromName, ggmlTypeName, isWeightType } from '../src/gguf/ggufTypes.js';
import { openGguf } from '../src/gguf/readGguf.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TINY_MODEL_PATH = resolve(REPO_ROOT, '.cache/models/tiny-llama.gguf');

/** Bump when the fixture's contents change, so stale cached copies are rebuilt. */
const FIXTURE_VERSION = 1;
const VERSION_KEY = 'agent_suites.fixture_version';

export interface EnsureTinyModelOptions {
  /** Where to write; default `.cache/models/<name>.gguf` under the repo root. */
  path?: string;
  /** Rewrite even when a current copy exists. */
  force?: boolean;
  /** Model shape, architecture and types (for larger or quantised models); changes the default file name. */
  spec?: SyntheticModelSpec;
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

/** A file name that says what is in the model (the name of the plain llama shapes is unchanged). */
export function specName(spec?: SyntheticModelSpec): string {
  if (!spec) return 'tiny-llama';
  if (spec.name) return spec.name;
  if (spec.typeFor) throw new Error('a spec with a typeFor hook needs a name (the file name cannot describe the hook)');
  const arch = spec.architecture ?? 'llama';
  const wt = spec.weightType ?? GgmlType.F32;
  const given = Object.fromEntries(Object.entries(spec).filter(([, x]) => x !== undefined));
  const s = { blocks: 2, heads: 4, kvHeads: 2, seed: 1234, ...defaultWidths([wt, spec.embeddingType ?? GgmlType.F32, spec.outputType ?? wt]), ...given };
  let name = `synthetic-${arch}-b${s.blocks}-e${s.embd}-h${s.heads}-kv${s.kvHeads}-ff${s.ff}-s${s.seed}`;
  if (wt !== GgmlType.F32) name += `-${ggmlTypeName(wt).toLowerCase()}`;
  if (spec.embeddingType !== undefined) name += `-emb${ggmlTypeName(spec.embeddingType).toLowerCase()}`;
  if (spec.outputType !== undefined) name += `-out${ggmlTypeName(spec.outputType).toLowerCase()}`;
  if (spec.tiedOutput) name += '-tied';
  if (spec.ropeFreqBase !== undefined) name += `-rope${spec.ropeFreqBase}`;
  if (spec.llama3RopeScaling) name += '-llama3rope';
  if (spec.contextLength !== undefined) name += `-ctx${spec.contextLength}`;
  if (spec.rmsEps !== undefined) name += `-eps${spec.rmsEps}`;
  return name;
}

/** Returns the absolute path of the model, writing it first if it is missing or stale. */
export async function ensureTinyModel(opts: EnsureTinyModelOptions = {}): Promise<string> {
  const name = specName(opts.spec);
  const path = resolve(opts.path ?? (opts.spec ? resolve(REPO_ROOT, `.cache/models/${name}.gguf`) : TINY_MODEL_PATH));
  if (!opts.force && (await isCurrent(path, name))) return path;
  const writer = buildSyntheticModel({ ...opts.spec, name });
  writer.setU32(VERSION_KEY, FIXTURE_VERSION);
  await writer.write(path); // temp file + rename: concurrent callers never see half a file
  return path;
}

const HELP = `Writes a small GGUF model with seeded random weights that llama.cpp (node-llama-cpp) loads.

usage: node --import tsx scripts/makeTinyGguf.ts [options]
       npm run fixtures -- [options]

With no options: the tiny llama test fixture at .cache/models/tiny-llama.gguf (rebuilt if stale).

  --out FILE             where to write (default .cache/models/<name>.gguf); always rewrites
  --force                rewrite even if a current copy exists
  --arch NAME            ${SYNTHETIC_ARCHITECTURES.join(' | ')} (default llama)
  --type TYPE            storage of the block matrices: ${WEIGHT_TYPES.map(ggmlTypeName).join(', ')} (default F32)
  --embedding-type TYPE  token_embd.weight (default F32)
  --output-type TYPE     output.weight (default: --type)
  --tied                 no output.weight (the token embeddings serve as the output head)
  --blocks N             transformer blocks (default 2)
  --embd N               embedding width (default 64, or ${QUANTISED_WIDTHS.embd} with a K-quant type)
  --ff N                 feed-forward width (default 128, or ${QUANTISED_WIDTHS.ff} with a K-quant type)
  --heads N, --kv-heads N   attention heads (default 4) and key/value heads (default 2)
  --context N            trained context length in the metadata (default 512)
  --rope-base X          rope frequency base (default 10000; 1000000 for qwen2)
  --llama3-rope          llama: add Llama-3.1 rope frequency factors (rope_freqs.weight)
  --seed N               weight seed (default 1234)
  --name NAME            general.name and default file name

K-quants (Q2_K…Q6_K) store rows in blocks of 256 values, so --embd and --ff must be multiples of 256;
the other quantised types need multiples of 32.

examples:
  npm run fixtures -- --type Q4_K                      a Q4_K llama
  npm run fixtures -- --arch qwen2 --type Q4_0         a Q4_0 qwen2
  npm run fixtures -- --arch phi3 --type Q6_K --blocks 4 --out /tmp/phi3.gguf`;

function parseType(flag: string, v: string | undefined): GgmlType | undefined {
  if (v === undefined) return undefined;
  const t = ggmlTypeFromName(v);
  if (t === undefined || !isWeightType(t)) throw new Error(`${flag} ${v}: expected one of ${WEIGHT_TYPES.map(ggmlTypeName).join(', ')}`);
  return t;
}

function parseCount(flag: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} ${v}: expected a whole number ≥ ${min}`);
  return n;
}

/** Turns command-line options into ensureTinyModel options (exported for the CLI test). */
export function optionsFromArgs(args: string[]): EnsureTinyModelOptions & { help?: boolean } {
  const { values: v } = parseArgs({
    args,
    options: {
      help: { type: 'boolean', short: 'h' }, out: { type: 'string' }, force: { type: 'boolean' },
      arch: { type: 'string' }, type: { type: 'string' }, 'embedding-type': { type: 'string' }, 'output-type': { type: 'string' },
      tied: { type: 'boolean' }, blocks: { type: 'string' }, embd: { type: 'string' }, ff: { type: 'string' },
      heads: { type: 'string' }, 'kv-heads': { type: 'string' }, context: { type: 'string' }, 'rope-base': { type: 'string' },
      'llama3-rope': { type: 'boolean' }, seed: { type: 'string' }, name: { type: 'string' },
    },
    strict: true,
  });
  if (v.help) return { help: true };
  if (v.arch !== undefined && !SYNTHETIC_ARCHITECTURES.includes(v.arch as SyntheticArchitecture)) {
    throw new Error(`--arch ${v.arch}: expected one of ${SYNTHETIC_ARCHITECTURES.join(', ')}`);
  }
  const ropeBase = v['rope-base'] === undefined ? undefined : Number(v['rope-base']);
  if (ropeBase !== undefined && !(ropeBase > 0)) throw new Error(`--rope-base ${v['rope-base']}: expected a positive number`);
  const spec: SyntheticModelSpec = {
    architecture: v.arch as SyntheticArchitecture | undefined,
    weightType: parseType('--type', v.type),
    embeddingType: parseType('--embedding-type', v['embedding-type']),
    outputType: parseType('--output-type', v['output-type']),
    tiedOutput: v.tied || undefined,
    blocks: parseCount('--blocks', v.blocks),
    embd: parseCount('--embd', v.embd),
    ff: parseCount('--ff', v.ff),
    heads: parseCount('--heads', v.heads),
    kvHeads: parseCount('--kv-heads', v['kv-heads']),
    contextLength: parseCount('--context', v.context),
    ropeFreqBase: ropeBase,
    llama3RopeScaling: v['llama3-rope'] || undefined,
    seed: parseCount('--seed', v.seed, 0),
    name: v.name,
  };
  const given = Object.fromEntries(Object.entries(spec).filter(([, x]) => x !== undefined)) as SyntheticModelSpec;
  return {
    path: v.out ? resolve(v.out) : undefined,
    force: !!v.force || !!v.out,
    spec: Object.keys(given).length ? given : undefined,
  };
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  let opts: ReturnType<typeof optionsFromArgs>;
  try {
    opts = optionsFromArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n(see --help)`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(HELP);
    process.exit(0);
  }
  ensureTinyModel(opts)
    .then((p) => console.log(p))
    .catch((err) => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
}

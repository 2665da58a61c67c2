// The llama case of buildSyntheticModel, kept for existing callers (same weights for the same spec).
import type { GgufWriter } from './GgufWriter.js';
import { GgmlType } from './ggufTypes.js';
import { buildSyntheticModel, seededNormal, type SyntheticModelSpec } from './syntheticModel.js';
import { seededRandom } from '../util/seededRandom.js';

export type SyntheticLlamaSpec = Omit<SyntheticModelSpec, 'architecture'>;

export const TINY_LLAMA_DEFAULTS = {
  blocks: 2, embd: 64, heads: 4, kvHeads: 2, ff: 128, contextLength: 512, seed: 1234,
  weightType: GgmlType.F32, name: 'tiny-llama',
} as const;

export { seededRandom, seededNormal };

export function buildSyntheticLlama(spec: SyntheticLlamaSpec = {}): GgufWriter {
  return buildSyntheticModel({ name: TINY_LLAMA_DEFAULTS.name, ...spec, architecture: 'llama' });
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { GgufInsights, Llama, readGgufFileInfo } from 'node-llama-cpp';
import { nodeLlamaCpp } from './nodeLlamaCpp.js';
import { ModelError, errorText } from './ModelError.js';
import { ggmlTensorBytes } from '../../gguf/ggufTypes.js';
import type { ModelSpec } from './suiteConfig.js';

/** Facts read from the GGUF file itself plus node-llama-cpp's memory estimate. */
export interface ModelMetadata {
  architecture: string;
  name?: string;
  parameters: number;
  quantization: string;
  contextLength?: number;
  embeddingLength?: number;
  blockCount: number;
  fileSizeBytes: number;
  /** Estimated memory to load the model plus a context of the configured size/sequences (MiB). */
  estimate: { gpuVramMb: number; cpuRamMb: number };
  /** Which number the budget uses: gpu when layers are offloaded and a GPU backend is active. */
  budgetDevice: 'gpu' | 'cpu';
}

const MiB = 1024 * 1024;

type GgufInfo = Awaited<ReturnType<typeof readGgufFileInfo>>;

/**
 * Where the last tensor's data ends in a single-file GGUF, from the header alone: a file shorter
 * than that was cut off (a partial copy or download), which llama.cpp only reports as "failed to
 * load". Types without a known block size count from their start. Undefined for split models.
 */
function tensorDataEnd(info: GgufInfo): number | undefined {
  if ((info.splicedParts ?? 1) > 1) return undefined;
  let end = 0;
  for (const t of info.fullTensorInfo ?? info.tensorInfo ?? []) {
    const elements = t.dimensions.reduce((a: number, d: number | bigint) => a * Number(d), 1);
    const start = Number(t.fileOffset);
    end = Math.max(end, start + (ggmlTensorBytes(t.ggmlType, elements) ?? 1));
  }
  return end || undefined;
}

/**
 * The configured models (model_manager.md §2.3) with metadata read lazily from each file through
 * node-llama-cpp's readGgufFileInfo (header only) and cached by size+mtime. Checksums stream the
 * file through sha256 so a multi-GB model never blocks the event loop.
 */
export class ModelRegistry {
  private readonly specs = new Map<string, ModelSpec>();
  private readonly metaCache = new Map<string, { key: string; meta: Promise<ModelMetadata> }>();

  constructor(
    specs: ModelSpec[],
    private readonly llama: () => Promise<Llama>,
  ) {
    for (const s of specs) this.specs.set(s.id, s);
  }

  list(): ModelSpec[] {
    return [...this.specs.values()];
  }

  ids(): string[] {
    return [...this.specs.keys()];
  }

  has(id: string): boolean {
    return this.specs.has(id);
  }

  get(id: string): ModelSpec | undefined {
    return this.specs.get(id);
  }

  /** Adds a run-time registration (models.register); the caller checked the id is free. */
  add(spec: ModelSpec): void {
    if (this.specs.has(spec.id)) throw new ModelError('MODEL_EXISTS', `model ${spec.id} is already registered`, { model_id: spec.id });
    this.specs.set(spec.id, spec);
    this.metaCache.delete(spec.id);
  }

  /** Drops an entry (models.unregister); false when unknown. */
  remove(id: string): boolean {
    this.metaCache.delete(id);
    return this.specs.delete(id);
  }

  /** The spec, or UNKNOWN_MODEL with the known ids in the message. */
  require(id: string): ModelSpec {
    const spec = this.specs.get(id);
    if (!spec) {
      const known = this.ids();
      throw new ModelError('UNKNOWN_MODEL', `unknown model ${id} (registered: ${known.length ? known.join(', ') : 'none'})`, { model_id: id });
    }
    return spec;
  }

  /** File size, or MODEL_FILE_MISSING. */
  async fileStat(spec: ModelSpec): Promise<{ size: number; mtimeMs: number }> {
    try {
      const s = await stat(spec.path);
      if (!s.isFile()) throw new Error('not a regular file');
      return { size: s.size, mtimeMs: s.mtimeMs };
    } catch (err) {
      throw new ModelError('MODEL_FILE_MISSING', `model file missing for ${spec.id}: ${spec.path} (${errorText(err)})`, {
        model_id: spec.id,
        path: spec.path,
      });
    }
  }

  /** Every configured LoRA adapter file exists, or MODEL_FILE_MISSING naming it. */
  async checkAdapters(spec: ModelSpec): Promise<void> {
    for (const a of spec.loraAdapters) {
      try {
        if (!(await stat(a.path)).isFile()) throw new Error('not a regular file');
      } catch (err) {
        throw new ModelError('MODEL_FILE_MISSING', `LoRA adapter file missing for ${spec.id}: ${a.path} (${errorText(err)})`, {
          model_id: spec.id,
          path: a.path,
        });
      }
    }
  }

  /** GGUF metadata and the memory estimate; CORRUPT_MODEL when the header cannot be parsed. */
  async metadata(id: string): Promise<ModelMetadata> {
    const spec = this.require(id);
    const st = await this.fileStat(spec);
    const key = `${st.size}:${st.mtimeMs}`;
    const cached = this.metaCache.get(id);
    if (cached && cached.key === key) return cached.meta;
    const meta = this.readMetadata(spec, st.size);
    this.metaCache.set(id, { key, meta });
    meta.catch(() => this.metaCache.delete(id));
    return meta;
  }

  private async readMetadata(spec: ModelSpec, size: number): Promise<ModelMetadata> {
    const { GgmlType, GgufFileType, GgufInsights, readGgufFileInfo } = await nodeLlamaCpp();
    let info;
    try {
      info = await readGgufFileInfo(spec.path, { logWarnings: false, sourceType: 'filesystem' });
    } catch (err) {
      throw new ModelError('CORRUPT_MODEL', `model file for ${spec.id} is not a readable GGUF: ${errorText(err)}`, {
        model_id: spec.id,
        path: spec.path,
      });
    }
    const needed = tensorDataEnd(info);
    if (needed !== undefined && size < needed) {
      throw new ModelError('CORRUPT_MODEL', `model file for ${spec.id} is truncated: its tensors need ${needed} bytes, the file has ${size}`, {
        model_id: spec.id,
        path: spec.path,
      });
    }
    const llama = await this.llama();
    let insights: GgufInsights;
    try {
      insights = await GgufInsights.from(info, llama);
    } catch (err) {
      throw new ModelError('CORRUPT_MODEL', `model file for ${spec.id} has unusable metadata: ${errorText(err)}`, { model_id: spec.id });
    }
    const offload = llama.gpu !== false && spec.gpuLayers !== 0;
    const layers = !offload ? 0 : spec.gpuLayers < 0 ? insights.totalLayers : Math.min(spec.gpuLayers, insights.totalLayers);
    const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: layers });
    const context = await insights.estimateContextResourceRequirementsV2({
      contextSize: spec.contextSize,
      modelGpuLayers: layers,
      sequences: spec.sequences,
    });
    const general = info.metadata.general as { architecture?: string; name?: string; file_type?: number };
    const fileType = general.file_type;
    const dominant = insights.dominantTensorType;
    const quantization =
      fileType !== undefined && GgufFileType[fileType] !== undefined
        ? GgufFileType[fileType]!
        : dominant !== undefined && GgmlType[dominant] !== undefined
          ? GgmlType[dominant]!
          : 'unknown';
    const arch = info.architectureMetadata as { block_count?: number } | undefined;
    return {
      architecture: String(general.architecture ?? 'unknown'),
      name: general.name,
      parameters: insights.totalParameters,
      quantization,
      contextLength: insights.trainContextSize,
      embeddingLength: insights.embeddingVectorSize,
      blockCount: arch?.block_count ?? insights.totalLayers,
      fileSizeBytes: size,
      estimate: {
        gpuVramMb: round1((model.gpuVram + context.gpuVram) / MiB),
        cpuRamMb: round1((model.cpuRam + context.cpuRam) / MiB),
      },
      budgetDevice: offload ? 'gpu' : 'cpu',
    };
  }

  /** MiB the budget charges for a model: the configured override, else the estimate for the budgeted device. */
  async chargeMb(id: string): Promise<number> {
    const spec = this.require(id);
    if (spec.estimatedVramMb !== undefined && spec.estimatedVramMb > 0) return spec.estimatedVramMb;
    const meta = await this.metadata(id);
    // The budget measures VRAM whenever a GPU backend is active (a CPU-only model then costs ~0 of it).
    const gpuActive = (await this.llama()).gpu !== false;
    return Math.max(1, Math.ceil(gpuActive ? meta.estimate.gpuVramMb : meta.estimate.cpuRamMb));
  }

  /** sha256 of the model file, streamed (never read whole into memory or hashed synchronously). */
  async checksum(id: string, signal?: AbortSignal): Promise<{ algorithm: 'sha256'; hex: string; bytes: number }> {
    const spec = this.require(id);
    const st = await this.fileStat(spec);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(spec.path, { highWaterMark: 4 * MiB, signal })) hash.update(chunk as Buffer);
    return { algorithm: 'sha256', hex: hash.digest('hex'), bytes: st.size };
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

// Loads a base model for training: the weight matrices go into the shared memory byte for byte
// as the file stores them (quantised blocks stay quantised), the small F32 vectors (norms, biases,
// rope factors) into ordinary arrays.
import { closeSync, openSync } from 'node:fs';
import { readFullyAt } from '../../../../../util/fileRanges.js';
import { GgmlType } from '../../../../../gguf/ggufTypes.js';
import { openGguf, type OpenGgufFile } from '../../../../../gguf/readGguf.js';
import { describeMatrix, type QuantMatrix } from '../kernels/QuantMatrix.js';
import type { SharedArena } from '../kernels/SharedArena.js';
import { LoraTrainError } from '../LoraTrainError.js';
import { inspectModel, type ModelHParams, type ModelSpec, type Projection } from './modelSpec.js';

export interface LayerWeights {
  attnNorm: Float32Array;
  ffnNorm: Float32Array;
  proj: Partial<Record<Projection, QuantMatrix>>;
  bias: Partial<Record<Projection, Float32Array>>;
}

export interface ModelWeights {
  spec: ModelSpec;
  hp: ModelHParams;
  tokEmbd: QuantMatrix;
  outputNorm: Float32Array;
  /** The output head (token_embd itself when the model ties them). */
  output: QuantMatrix;
  outputBias?: Float32Array;
  /** Llama-3.1-style divisors of each rotary frequency. */
  ropeFactors?: Float32Array;
  layers: LayerWeights[];
  /** Bytes of weights held in the shared memory. */
  weightBytes: number;
}

/** Opens a GGUF with a MODEL_UNSUPPORTED error if it is not one; always closes it. */
export function withModelFile<T>(path: string, fn: (file: OpenGgufFile) => T): T {
  let file: OpenGgufFile;
  try {
    file = openGguf(path);
  } catch (err) {
    throw new LoraTrainError('MODEL_UNSUPPORTED', `${path}: cannot read as GGUF: ${(err as Error).message}`);
  }
  try {
    return fn(file);
  } finally {
    file.close();
  }
}

/** Header-only check used before a run starts. */
export function inspectModelFile(path: string): ModelSpec {
  return withModelFile(path, inspectModel);
}

/** Reads a tensor's bytes straight into the shared memory. */
function readMatrix(file: OpenGgufFile, fd: number, arena: SharedArena, name: string, cols: number, rows: number): QuantMatrix {
  const info = file.tensorInfo(name)!;
  const probe = describeMatrix(name, info.type, cols, rows, 0);
  const size = probe.rowBytes * rows;
  const dst = arena.bytes(size);
  const start = file.dataOffset + info.offset;
  if (readFullyAt(fd, dst, start) < size) throw new LoraTrainError('MODEL_UNSUPPORTED', `${file.path}: tensor ${name} runs past the end of the file`);
  const m: QuantMatrix = { ...probe, ptr: dst.byteOffset };
  if (info.type === GgmlType.Q4_1 || info.type === GgmlType.Q5_1) m.mins = blockMinimums(arena, m);
  return m;
}

/** The fp16 minimum at byte 2 of every Q4_1 / Q5_1 block, as an F16 matrix of rows × blocks. */
function blockMinimums(arena: SharedArena, m: QuantMatrix): QuantMatrix {
  const blocks = m.cols / m.blockValues;
  const out = arena.bytes(m.rows * blocks * 2);
  const src = new Uint8Array(arena.memory.buffer);
  for (let r = 0, o = 0; r < m.rows; r++) {
    for (let b = 0; b < blocks; b++, o += 2) {
      const at = m.ptr + r * m.rowBytes + b * m.blockBytes + 2;
      out[o] = src[at]!;
      out[o + 1] = src[at + 1]!;
    }
  }
  return describeMatrix(`${m.name} (block minimums)`, GgmlType.F16, blocks, m.rows, out.byteOffset);
}

export function loadModelWeights(path: string, arena: SharedArena): ModelWeights {
  const fd = openSync(path, 'r');
  try {
    return withModelFile(path, (file) => loadFrom(file, fd, arena));
  } finally {
    closeSync(fd);
  }
}

function loadFrom(file: OpenGgufFile, fd: number, arena: SharedArena): ModelWeights {
  const spec = inspectModel(file);
  const { hp } = spec;
  const before = arena.mark();
  // Vectors (norms, biases, rope factors) go in the shared memory too, for the kernel threads.
  const vec = (name: string): Float32Array => {
    const v = file.tensorData(name);
    const copy = arena.f32(v.length);
    copy.set(v);
    return copy;
  };
  const matrix = (name: string, cols: number, rows: number) => readMatrix(file, fd, arena, name, cols, rows);
  const tokEmbd = matrix('token_embd.weight', hp.nEmbd, hp.nVocab);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < hp.nLayer; l++) {
    const p = `blk.${l}.`;
    const layer: LayerWeights = { attnNorm: vec(`${p}attn_norm.weight`), ffnNorm: vec(`${p}ffn_norm.weight`), proj: {}, bias: {} };
    for (const proj of spec.projections) {
      const info = file.tensorInfo(`${p}${proj}.weight`)!;
      layer.proj[proj] = matrix(`${p}${proj}.weight`, info.dims[0]!, info.dims[1]!);
      if (file.tensorInfo(`${p}${proj}.bias`)) layer.bias[proj] = vec(`${p}${proj}.bias`);
    }
    layers.push(layer);
  }
  const output = spec.tiedOutput ? tokEmbd : matrix('output.weight', hp.nEmbd, hp.nVocab);
  return {
    spec, hp, tokEmbd, output, layers,
    outputNorm: vec('output_norm.weight'),
    outputBias: file.tensorInfo('output.bias') ? vec('output.bias') : undefined,
    ropeFactors: spec.hasRopeFactors ? vec('rope_freqs.weight') : undefined,
    weightBytes: arena.mark() - before,
  };
}

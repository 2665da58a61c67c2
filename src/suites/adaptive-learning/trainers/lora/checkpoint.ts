// Resumable checkpoints: lora-checkpoint.bin (LoRA parameters, then AdamW moments, F32) and
// lora-checkpoint.json (step, losses, and a fingerprint of the run). Both written atomically,
// the JSON last, so a checkpoint is only visible once complete.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LoraTrainError } from './LoraTrainError.js';

export interface CheckpointMeta {
  version: 1;
  step: number;
  initialLoss: number;
  lastLoss: number;
  trainedTokens: number;
  paramCount: number;
  fingerprint: Record<string, unknown>;
}

const META = 'lora-checkpoint.json';
const DATA = 'lora-checkpoint.bin';

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function saveCheckpoint(dir: string, meta: CheckpointMeta, params: Float32Array, optimizer: Float32Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const buf = new Uint8Array((params.length + optimizer.length) * 4);
  const f = new Float32Array(buf.buffer);
  f.set(params, 0);
  f.set(optimizer, params.length);
  await atomicWrite(join(dir, DATA), buf);
  await atomicWrite(join(dir, META), JSON.stringify(meta, null, 2));
  return join(dir, META);
}

export async function loadCheckpoint(dir: string, fingerprint: Record<string, unknown>): Promise<{ meta: CheckpointMeta; params: Float32Array; optimizer: Float32Array } | undefined> {
  const metaPath = join(dir, META);
  if (!existsSync(metaPath)) return undefined;
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as CheckpointMeta;
  const want = JSON.stringify(fingerprint);
  if (meta.version !== 1 || JSON.stringify(meta.fingerprint) !== want) {
    throw new LoraTrainError('CHECKPOINT_MISMATCH', `checkpoint in ${dir} was made with different settings, model or data; use another checkpointDir or drop resume`, { saved: meta.fingerprint, wanted: fingerprint });
  }
  const raw = await readFile(join(dir, DATA));
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (all.length !== meta.paramCount * 3) throw new LoraTrainError('CHECKPOINT_MISMATCH', `checkpoint data in ${dir} is incomplete`);
  return { meta, params: all.slice(0, meta.paramCount), optimizer: all.slice(meta.paramCount) };
}

// A base model ready for the trainer: weights in shared memory and the threads that multiply them.
import { statSync } from 'node:fs';
import { MatmulEngine } from '../kernels/MatmulEngine.js';
import { SharedArena } from '../kernels/SharedArena.js';
import { loadModelWeights, type ModelWeights } from './loadModel.js';

export interface OpenModel {
  weights: ModelWeights;
  engine: MatmulEngine;
  /** Stops the kernel threads (the memory goes with the last reference). */
  dispose(): Promise<void>;
}

/** `maxSequence`: the longest sequence attention will see. */
export async function openModelForTraining(path: string, threads: number, maxSequence = 512): Promise<OpenModel> {
  // Room for the weights up front; activations grow the memory as needed.
  const arena = new SharedArena(statSync(path).size + (64 << 20));
  const weights = loadModelWeights(path, arena);
  const engine = new MatmulEngine(arena, threads, maxSequence);
  try {
    await engine.ready;
  } catch (err) {
    await engine.dispose();
    throw err;
  }
  return { weights, engine, dispose: () => engine.dispose() };
}

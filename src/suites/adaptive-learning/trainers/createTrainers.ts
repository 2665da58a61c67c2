import { entryModuleUrl, nodeArgsFor } from '../../../runtime/sourceLayout.js';
import type { SuiteOptions } from '../config.js';
import { ExternalTrainer } from './ExternalTrainer.js';
import type { Trainer } from './Trainer.js';

/**
 * The configured backends by name: `external` (a command template) and `builtin-lora` (the
 * TypeScript LoRA trainer, run through the same child-process protocol by runBuiltinLora.ts).
 */
export function createTrainers(opts: SuiteOptions): Map<string, Trainer> {
  const trainers = new Map<string, Trainer>();
  if (opts.external) trainers.set('external', new ExternalTrainer(opts.external));
  if (opts.builtinLora) {
    const runner = nodeArgsFor(entryModuleUrl('src/suites/adaptive-learning/trainers/runBuiltinLora'));
    const builtin = new ExternalTrainer({ command: [process.execPath, ...runner, '{spec_file}'], killGraceMs: 5000 });
    // The TypeScript trainer computes on the CPU (its tokenizer opens the model with gpu: false).
    trainers.set('builtin-lora', { name: 'builtin-lora', usesGpu: false, run: (r) => builtin.run(r) });
  }
  return trainers;
}

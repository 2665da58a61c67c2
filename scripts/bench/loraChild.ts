// One LoRA training run in a process of its own, so its memory can be read cleanly: prints one
// JSON line with the trainer's result, the process's resident memory just before the measured run
// and its peak during it.
//   node --expose-gc --import tsx scripts/bench/loraChild.ts '<json LoraTrainOptions>' ['<json warm-up options>']
// With warm-up options, a first job runs before the measured one, as in AdaptiveLearningSuite,
// which runs job after job in one process: what the measured job adds is then its own memory,
// not the runtime's one-time costs (compiled code, malloc arenas, the llama.cpp library).
import { readFileSync, writeFileSync } from 'node:fs';
import { trainLora } from '../../src/suites/adaptive-learning/trainers/lora/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}');
const warmUp = process.argv[3] ? JSON.parse(process.argv[3]) : undefined;
await import('node-llama-cpp');
if (warmUp) {
  await trainLora(warmUp, {});
  // Let the warm-up's shared memory go before the baseline is read, so its release cannot
  // shrink the measured run's growth.
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
}
const statusKiB = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
// The kernel's peak-RSS mark (VmHWM) restarts at the current RSS: after the run it is this run's exact peak.
writeFileSync('/proc/self/clear_refs', '5');
const baselineRss = statusKiB('VmRSS') * 1024;
const result = await trainLora(opts, {});
const peakRss = statusKiB('VmHWM') * 1024;
process.stdout.write(`${JSON.stringify({ result, baselineRss, peakRss })}\n`);

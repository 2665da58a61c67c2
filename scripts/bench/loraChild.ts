// One LoRA training run in a process of its own, so its memory can be read cleanly: prints one
// JSON line with the trainer's result, the process's resident memory before training (after the
// trainer and node-llama-cpp are loaded) and its peak during training.
//   node --import tsx scripts/bench/loraChild.ts '<json LoraTrainOptions>'
import { trainLora } from '../../src/suites/adaptive-learning/trainers/lora/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}');
await import('node-llama-cpp');
const baselineRss = process.memoryUsage().rss;
let peakRss = baselineRss;
const timer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 20);
const result = await trainLora(opts, { onProgress: () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); } });
clearInterval(timer);
// maxRSS (KiB) also counts any peak between samples.
peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
process.stdout.write(`${JSON.stringify({ result, baselineRss, peakRss })}\n`);

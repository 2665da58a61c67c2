// `agent-suites train lora`: built-in LoRA fine-tuning of a llama / qwen2 / phi3 GGUF model, with a
// progress bar and a summary. Ctrl-C cancels cleanly (and checkpoints when --checkpoint-dir is set).
import { basename, resolve } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Argv, CommandModule } from 'yargs';
import { LoraTrainError, trainLora, LORA_DEFAULTS, PROJECTIONS, type LoraResult } from '../../suites/adaptive-learning/trainers/lora/index.js';

export interface TrainLoraArgs {
  model: string;
  data: string;
  out: string;
  rank?: number;
  alpha?: number;
  dropout?: number;
  targets?: string[];
  steps?: number;
  lr?: number;
  'batch-size'?: number;
  'grad-accum'?: number;
  'warmup-steps'?: number;
  'seq-len'?: number;
  seed?: number;
  resume?: boolean;
  'checkpoint-dir'?: string;
  'checkpoint-every'?: number;
  progress?: boolean;
  threads?: number;
}

/** A shell word: single-quoted, with any single quote inside closed, escaped and reopened. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `models.register` call that serves the adapter from a running ModelManagerSuite, as a
 * command line to paste. The model id is the adapter's file name.
 */
export function registerCommand(modelPath: string, adapterPath: string): { request: Record<string, unknown>; command: string } {
  const request = {
    action: 'models.register',
    model_id: basename(adapterPath).replace(/\.gguf$/i, ''),
    path: resolve(modelPath),
    lora_adapters: [{ path: resolve(adapterPath), scale: 1 }],
  };
  return { request, command: `npx agent-suites call ModelManagerSuite ${shellQuote(JSON.stringify(request))}` };
}

function formatSummary(r: LoraResult, seconds: number, modelPath: string): string {
  const serve = registerCommand(modelPath, r.adapterPath);
  return [
    `adapter written: ${r.adapterPath}`,
    `steps: ${r.steps}`,
    r.steps > 0 ? `loss: ${r.initialLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)}` : 'loss: n/a (no steps run; the adapter is a no-op)',
    `throughput: ${r.tokensPerSecond.toFixed(0)} tokens/s (${r.threads} threads, integer kernel ${r.intKernel})`,
    `time: ${seconds.toFixed(1)} s`,
    ...(r.checkpointPath ? [`checkpoint: ${r.checkpointPath}`] : []),
    '',
    'serve it from a running ModelManagerSuite (both files must lie in its models_dir, a configured',
    "model's folder, DATA_DIR or config allowed_paths), then generate with that model_id:",
    `  ${serve.command}`,
  ].join('\n');
}

const trainLoraCommand: CommandModule<object, TrainLoraArgs> = {
  command: 'lora',
  describe: 'Fine-tune a GGUF model (llama, qwen2, phi3; F32/F16/BF16, Q4_0…Q8_0, Q2_K…Q6_K) with LoRA and write a GGUF adapter',
  builder: (y: Argv<object>) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'base model (.gguf: llama, qwen2 or phi3; quantised weights stay quantised)' })
      .option('data', { type: 'string', demandOption: true, describe: 'plain text, or JSONL with messages / prompt+completion / text per line' })
      .option('out', { type: 'string', demandOption: true, describe: 'adapter file to write (.gguf)' })
      .option('rank', { type: 'number', describe: `LoRA rank (default ${LORA_DEFAULTS.rank})` })
      .option('alpha', { type: 'number', describe: 'LoRA alpha (default 2 x rank)' })
      .option('dropout', { type: 'number', describe: `adapter dropout (default ${LORA_DEFAULTS.dropout})` })
      .option('targets', { type: 'array', string: true, describe: `modules to adapt: ${PROJECTIONS.join(', ')} or PEFT names (default attn_q attn_v)` })
      .option('steps', { type: 'number', describe: `optimizer steps (default ${LORA_DEFAULTS.steps})` })
      .option('lr', { type: 'number', describe: `peak learning rate (default ${LORA_DEFAULTS.learningRate})` })
      .option('batch-size', { type: 'number', describe: `sequences per micro-batch (default ${LORA_DEFAULTS.batchSize})` })
      .option('grad-accum', { type: 'number', describe: 'micro-batches per step (default 1)' })
      .option('warmup-steps', { type: 'number', describe: 'learning-rate warm-up steps' })
      .option('seq-len', { type: 'number', describe: `tokens per sequence (default ${LORA_DEFAULTS.seqLen})` })
      .option('seed', { type: 'number', describe: `random seed (default ${LORA_DEFAULTS.seed})` })
      .option('threads', { type: 'number', describe: 'threads for the matrix products (default: all available cores)' })
      .option('checkpoint-dir', { type: 'string', describe: 'folder for resumable checkpoints' })
      .option('checkpoint-every', { type: 'number', describe: `steps between checkpoints (default ${LORA_DEFAULTS.checkpointEvery})` })
      .option('resume', { type: 'boolean', describe: 'continue from the checkpoint in --checkpoint-dir' })
      .option('progress', { type: 'boolean', default: true, describe: 'show a progress bar (--no-progress for plain logs)' }) as unknown as Argv<TrainLoraArgs>,
  handler: async (args) => {
    const controller = new AbortController();
    const onSigint = (): void => {
      process.stderr.write('\ncancelling (saving a checkpoint if --checkpoint-dir is set)...\n');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    const showBar = args.progress !== false && process.stderr.isTTY;
    const bar = new SingleBar({
      format: 'training |{bar}| {value}/{total} steps | loss {loss} | {tps} tok/s | ETA {eta_s}s',
      hideCursor: true,
    }, Presets.shades_classic);
    let barStarted = false;
    const started = Date.now();
    try {
      const result = await trainLora({
        modelPath: args.model, dataPath: args.data, outPath: args.out, rank: args.rank, alpha: args.alpha,
        dropout: args.dropout, targetModules: args.targets, steps: args.steps, learningRate: args.lr,
        batchSize: args['batch-size'], gradientAccumulation: args['grad-accum'], warmupSteps: args['warmup-steps'],
        seqLen: args['seq-len'], seed: args.seed, checkpointDir: args['checkpoint-dir'],
        checkpointEvery: args['checkpoint-every'], resume: args.resume, threads: args.threads,
      }, {
        signal: controller.signal,
        onProgress: (p) => {
          const payload = { loss: p.loss.toFixed(4), tps: p.tokensPerSecond.toFixed(0), eta_s: p.etaSeconds.toFixed(0) };
          if (showBar) {
            if (!barStarted) { bar.start(p.totalSteps, 0, payload); barStarted = true; }
            bar.update(p.step, payload);
          } else if (p.step === p.totalSteps || p.step % 10 === 0) {
            process.stderr.write(`step ${p.step}/${p.totalSteps} loss ${payload.loss} ${payload.tps} tok/s eta ${payload.eta_s}s\n`);
          }
        },
      });
      if (barStarted) bar.stop();
      process.stdout.write(`${formatSummary(result, (Date.now() - started) / 1000, args.model)}\n`);
    } catch (err) {
      if (barStarted) bar.stop();
      if (err instanceof LoraTrainError) {
        process.stderr.write(`error (${err.code}): ${err.message}\n`);
        process.exitCode = err.code === 'ABORTED' ? 130 : 1;
        return;
      }
      throw err;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};

/**
 * `train lora ...`: the parent command is the only CommandModule this file exports (the CLI entry
 * registers every exported command module), so `lora` is reachable only as a sub-command.
 */
export const trainCommand: CommandModule<object, object> = {
  command: 'train',
  describe: 'Train adapters for local models',
  builder: (y: Argv<object>) => y.command(trainLoraCommand as unknown as CommandModule<object, object>).demandCommand(1),
  handler: () => undefined,
};

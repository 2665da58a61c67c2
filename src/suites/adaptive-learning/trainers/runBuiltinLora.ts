/**
 * Child-process entry for the `builtin-lora` backend: reads the spec file written by
 * ExternalTrainer, runs the TypeScript LoRA trainer (trainers/lora/) and reports over the same
 * JSON-lines protocol. Training runs in its own process so it never blocks the suite's event loop,
 * and a cancel is a plain signal.
 */
import { readFileSync } from 'node:fs';

// PEFT module names (legacy configs, §3.4) → the GGUF tensor names the builtin trainer adapts.
const HF_TO_GGUF: Record<string, string> = {
  q_proj: 'attn_q', k_proj: 'attn_k', v_proj: 'attn_v', o_proj: 'attn_output', gate_proj: 'ffn_gate', up_proj: 'ffn_up', down_proj: 'ffn_down',
};

const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] ?? process.env.AL_SPEC_FILE!, 'utf8')) as Record<string, any>;
  if (!spec.model_path) throw new Error(`no GGUF file is known for model "${spec.model_id}" (set config.models.<id> or the job's model_path)`);
  const mod = (await import('./lora/index.js').catch((e: unknown) => {
    throw new Error(`the builtin LoRA trainer is not available: ${(e as Error).message}`);
  }));
  const h = spec.hyperparameters;
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort('SIGTERM'));
  const every = h.checkpoint_every as number;
  const result = await mod.trainLora(
    {
      modelPath: spec.model_path, dataPath: spec.data_path, outPath: `${spec.out_dir}/adapter.gguf`, rank: h.rank, alpha: h.alpha,
      dropout: h.dropout, targetModules: (h.target_modules as string[]).map((m) => HF_TO_GGUF[m] ?? m), steps: h.steps, learningRate: h.learning_rate, batchSize: h.batch_size,
      gradientAccumulation: h.gradient_accumulation, warmupSteps: h.warmup_steps, maxGradNorm: h.max_grad_norm,
      weightDecay: h.weight_decay, seqLen: h.seq_len, seed: h.seed, checkpointDir: spec.checkpoint_dir, checkpointEvery: every,
      resume: Boolean(spec.resume_from), threads: h.threads ?? undefined,
    },
    {
      signal: controller.signal,
      onProgress: (p) => {
        say({ step: p.step, total_steps: p.totalSteps, loss: p.loss, tokens_per_second: p.tokensPerSecond, eta_seconds: p.etaSeconds });
        if (every > 0 && p.step % every === 0 && p.step < p.totalSteps) say({ event: 'checkpoint', path: spec.checkpoint_dir, step: p.step });
      },
    },
  );
  say({ event: 'done', adapter_path: result.adapterPath, steps: result.steps, initial_loss: result.initialLoss, final_loss: result.finalLoss,
    tokens_per_second: result.tokensPerSecond, threads: result.threads });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TrainingAbortedError, type Trainer, type TrainerProgress, type TrainerResult, type TrainerRun } from './Trainer.js';

export interface ExternalTrainerOptions {
  /** argv; `{placeholder}`s are filled per job (see `PLACEHOLDERS`). */
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Time between SIGTERM and SIGKILL on cancel (ms). Default 5000. */
  killGraceMs?: number;
}

/** Placeholders usable in the command template. */
export const PLACEHOLDERS = ['spec_file', 'job_id', 'model_id', 'model_path', 'data_path', 'out_dir', 'checkpoint_dir', 'resume_from',
  'steps', 'learning_rate', 'rank', 'alpha', 'dropout', 'batch_size', 'seq_len', 'seed'] as const;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Runs a configured command as a child process in its own process group (so a cancel reaches
 * every process it started). Protocol: the spec is written to `{spec_file}` (JSON, snake_case);
 * the trainer prints JSON lines on stdout — progress `{"step","total_steps","loss",
 * "tokens_per_second","eta_seconds"}`, `{"event":"checkpoint","path","step"}` and finally
 * `{"event":"done","adapter_path","steps","initial_loss","final_loss","tokens_per_second"}` —
 * and exits 0. Every line of stdout and stderr goes to the job log.
 */
export class ExternalTrainer implements Trainer {
  readonly name = 'external';
  constructor(private readonly opts: ExternalTrainerOptions) {
    if (!opts.command?.length) throw new Error('external trainer: `command` must be a non-empty list (argv)');
  }

  run(run: TrainerRun): Promise<TrainerResult> {
    const { spec } = run;
    mkdirSync(run.outDir, { recursive: true });
    mkdirSync(run.checkpointDir, { recursive: true });
    const specFile = join(run.outDir, 'trainer-spec.json');
    const h = spec.hyper;
    const specJson = {
      job_id: run.jobId, model_id: spec.modelId, model_path: spec.modelPath ?? null, data_path: spec.dataPath,
      out_dir: run.outDir, checkpoint_dir: run.checkpointDir, resume_from: run.resumeFrom ?? null, examples: spec.examples,
      hyperparameters: {
        rank: h.rank, alpha: h.alpha, dropout: h.dropout, target_modules: h.targetModules, steps: h.steps,
        learning_rate: h.learningRate, batch_size: h.batchSize, gradient_accumulation: h.gradientAccumulation,
        warmup_steps: h.warmupSteps, max_grad_norm: h.maxGradNorm, weight_decay: h.weightDecay, seq_len: h.seqLen,
        seed: h.seed, checkpoint_every: h.checkpointEvery, threads: h.threads ?? null,
      },
    };
    writeFileSync(specFile, JSON.stringify(specJson, null, 2));
    const values: Record<string, string> = {
      spec_file: specFile, job_id: run.jobId, model_id: spec.modelId, model_path: spec.modelPath ?? '', data_path: spec.dataPath,
      out_dir: run.outDir, checkpoint_dir: run.checkpointDir, resume_from: run.resumeFrom ?? '', steps: String(h.steps),
      learning_rate: String(h.learningRate), rank: String(h.rank), alpha: String(h.alpha), dropout: String(h.dropout),
      batch_size: String(h.batchSize), seq_len: String(h.seqLen), seed: String(h.seed),
    };
    const argv = this.opts.command.map((a) => a.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m));

    return new Promise<TrainerResult>((resolve, reject) => {
      if (run.signal.aborted) return reject(new TrainingAbortedError(run.signal.reason));
      const log = createWriteStream(run.logPath, { flags: 'a' });
      log.write(`[${new Date().toISOString()}] $ ${argv.join(' ')}\n`);
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: this.opts.cwd,
        env: { ...process.env, ...this.opts.env, AL_JOB_ID: run.jobId, AL_SPEC_FILE: specFile },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let result: TrainerResult | undefined;
      let lastProgress: TrainerProgress | undefined;
      let checkpointPath: string | undefined;
      const stderrTail: string[] = [];
      let spawnError: Error | undefined;
      let killTimer: NodeJS.Timeout | undefined;

      const killGroup = (sig: NodeJS.Signals) => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        try {
          process.kill(-child.pid, sig);
        } catch {
          try { child.kill(sig); } catch { /* already gone */ }
        }
      };
      const onAbort = () => {
        log.write(`[${new Date().toISOString()}] stop requested (${String(run.signal.reason)}); SIGTERM\n`);
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), this.opts.killGraceMs ?? 5000);
        killTimer.unref();
      };
      run.signal.addEventListener('abort', onAbort, { once: true });
      if (child.pid !== undefined) run.onProcess?.(child.pid);

      createInterface({ input: child.stdout! }).on('line', (line) => {
        log.write(line + '\n');
        if (!line.startsWith('{')) return;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        const event = msg.event ?? (msg.adapter_path !== undefined ? 'done' : msg.checkpoint !== undefined ? 'checkpoint' : 'progress');
        if (event === 'checkpoint') {
          const p = (msg.path ?? msg.checkpoint) as unknown;
          if (typeof p === 'string') {
            checkpointPath = p;
            run.onCheckpoint?.(p, num(msg.step) ?? lastProgress?.step ?? 0);
          }
        } else if (event === 'done') {
          const adapterPath = msg.adapter_path ?? msg.adapterPath;
          if (typeof adapterPath !== 'string') return;
          result = {
            adapterPath,
            steps: num(msg.steps) ?? lastProgress?.step ?? 0,
            initialLoss: num(msg.initial_loss ?? msg.initialLoss) ?? NaN,
            finalLoss: num(msg.final_loss ?? msg.finalLoss) ?? lastProgress?.loss ?? NaN,
            tokensPerSecond: num(msg.tokens_per_second ?? msg.tokensPerSecond) ?? lastProgress?.tokensPerSecond ?? 0,
            checkpointPath,
          };
        } else if (num(msg.step) !== undefined) {
          lastProgress = {
            step: num(msg.step)!,
            totalSteps: num(msg.total_steps ?? msg.totalSteps) ?? spec.hyper.steps,
            loss: num(msg.loss) ?? NaN,
            tokensPerSecond: num(msg.tokens_per_second ?? msg.tokensPerSecond) ?? 0,
            etaSeconds: num(msg.eta_seconds ?? msg.etaSeconds) ?? 0,
          };
          run.onProgress(lastProgress);
        }
      });
      createInterface({ input: child.stderr! }).on('line', (line) => {
        log.write(`[stderr] ${line}\n`);
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
      });
      child.on('error', (err) => {
        spawnError = err;
      });
      child.on('close', (code, signal) => {
        run.signal.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        // A trainer that exits leaves no stragglers behind in its group.
        if (child.pid !== undefined) {
          try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group already empty */ }
        }
        log.write(`[${new Date().toISOString()}] exited code=${code} signal=${signal}\n`);
        log.end();
        if (run.signal.aborted) return reject(new TrainingAbortedError(run.signal.reason));
        if (spawnError) return reject(new Error(`trainer could not start (${argv[0]}): ${spawnError.message}`));
        if (code !== 0) {
          const tail = stderrTail.slice(-5).join(' | ');
          return reject(new Error(`trainer exited with ${code !== null ? `code ${code}` : `signal ${signal}`}${tail ? `: ${tail}` : ''}`));
        }
        if (!result) return reject(new Error('trainer exited 0 without printing a {"event":"done","adapter_path":…} line'));
        resolve(result);
      });
    });
  }
}

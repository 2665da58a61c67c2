import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ZmqClient } from '../../../src/transport/ZmqClient.js';
import type { BenchContext } from '../BenchContext.js';
import { releaseSuite, suiteChild } from '../servers.js';
import { cpuSeconds } from '../procStatus.js';

const PROMPT = 'The assistant keeps notes about the user and answers questions about them. Write a short summary of the day:';
const MAX_TOKENS = 192;
const CONTEXT_SIZE = 512; // the tiny model's training context
const SEED = 1234;
const TOP_P = 0.95; // the suite's default, sent explicitly and used on both sides
/** The suite's default (half the cores, at most 4), set explicitly on both sides. */
const THREADS = Math.max(1, Math.min(4, Math.floor(cpus().length / 2)));

interface Sample {
  tokens: number;
  ms: number;
  /** Time the suite itself reports for the completion (server side). */
  serverMs?: number;
  /** CPU seconds the generating process spent on this run. */
  cpu?: number;
}

/** Direct node-llama-cpp: one model, one context sequence, greedy completion of the same prompt. */
async function directRunner(modelPath: string) {
  const { getLlama, LlamaCompletion } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: CONTEXT_SIZE, sequences: 1, threads: THREADS });
  const sequence = context.getSequence();
  return {
    async once(): Promise<Sample> {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const completion = new LlamaCompletion({ contextSequence: sequence });
      let tokens = 0;
      try {
        await completion.generateCompletionWithMeta(model.tokenize(PROMPT), {
          maxTokens: MAX_TOKENS,
          temperature: 0,
          topP: TOP_P,
          seed: SEED,
          onToken: (t) => {
            tokens += t.length;
          },
        });
      } finally {
        completion.dispose({ disposeSequence: false });
      }
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      return { tokens, ms, cpu: (c.user + c.system) / 1e6 };
    },
    async close() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/**
 * Tokens/s of ModelManagerSuite's `generate` (timed at the client: request to reply) against
 * direct node-llama-cpp in the bench process, same tiny model, prompt, context size, threads and
 * greedy sampling. Runs alternate so drift hits both; target ratio ≥ 0.95.
 */
export async function generation(ctx: BenchContext): Promise<void> {
  const name = 'generation: ModelManagerSuite generate vs node-llama-cpp';
  const target = 'ratio >= 0.95';
  let modelPath: string;
  try {
    const { ensureTinyModel } = await import('../../makeTinyGguf.js');
    modelPath = await ensureTinyModel();
  } catch (err) {
    ctx.skip(name, 'tokens/s', `no tiny model: ${(err as Error).message}`, target);
    return;
  }
  const config = {
    gpu: false,
    models: [{ id: 'bench-tiny', path: modelPath, context_size: CONTEXT_SIZE, sequences: 1, threads: THREADS, gpu_layers: 0 }],
    load_policy: { fast: 'bench-tiny' },
  };
  let suite;
  try {
    suite = await suiteChild(ctx, 'ModelManagerSuite', config, 'generation');
  } catch (err) {
    ctx.skip(name, 'tokens/s', (err as Error).message, target);
    return;
  }
  const client = new ZmqClient(suite.endpoint, { timeoutMs: 120_000 });
  const direct = await directRunner(modelPath);
  try {
    const request = { action: 'generate', prompt: PROMPT, model_pref: 'fast', params: { max_tokens: MAX_TOKENS, temperature: 0, top_p: TOP_P, seed: SEED } };
    const pid = suite.pid;
    const viaSuite = async (): Promise<Sample> => {
      const c0 = cpuSeconds(pid);
      const t0 = performance.now();
      const r = await client.request(request);
      const ms = performance.now() - t0;
      const c1 = cpuSeconds(pid);
      if (r?.status !== 'ok' || typeof r.tokens_generated !== 'number') throw new Error(`generate failed: ${JSON.stringify(r).slice(0, 200)}`);
      return {
        tokens: r.tokens_generated, ms, serverMs: typeof r.duration_ms === 'number' ? r.duration_ms : undefined,
        cpu: c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined,
      };
    };
    // Warm-up: the suite loads the model on the first request; both sides fill their KV cache once.
    await viaSuite();
    await direct.once();
    const rounds = ctx.quick ? 6 : 20;
    const s: Sample[] = [];
    const d: Sample[] = [];
    // ABBA order: whichever side runs first in a pair would otherwise always pay (or profit from)
    // what the other just did to the shared cores and caches.
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        s.push(await viaSuite());
        d.push(await direct.once());
      } else {
        d.push(await direct.once());
        s.push(await viaSuite());
      }
    }
    const rate = (x: Sample) => x.tokens / (x.ms / 1000);
    const suiteRate = median(s.map(rate));
    const directRate = median(d.map(rate));
    const ratio = suiteRate / directRate;
    // Paired view: suite run i ÷ the direct run right after it (drift on a shared host cancels).
    const paired = median(s.map((x, i) => rate(x) / rate(d[i]!)));
    const serverMs = s.reduce((n, x) => n + (x.serverMs ?? 0), 0) / s.length;
    const clientMs = s.reduce((n, x) => n + x.ms, 0) / s.length;
    ctx.add({
      name, metric: `tokens/s (${MAX_TOKENS} max tokens, greedy, median of ${rounds} alternating runs)`, value: suiteRate, unit: 'tokens/s',
      baseline_name: 'direct node-llama-cpp, same model + prompt', baseline_value: directRate, target, met: ratio >= 0.95,
      note: `median of paired ratios ${paired.toFixed(3)}; suite-reported completion ${serverMs.toFixed(1)} ms/run vs ${clientMs.toFixed(1)} ms at the client; ` +
        `tokens per run: suite ${(s.reduce((n, x) => n + x.tokens, 0) / s.length).toFixed(0)}, direct ${(d.reduce((n, x) => n + x.tokens, 0) / d.length).toFixed(0)}`,
    });
    // CPU time per generated token: what each side spends, whatever else the host is doing.
    // Summed over all runs: /proc counts CPU in 10 ms ticks, too coarse for one run.
    const cpuPerToken = (xs: Sample[]) => {
      const ok = xs.filter((x) => x.cpu !== undefined);
      const tokens = ok.reduce((n, x) => n + x.tokens, 0);
      return tokens ? (ok.reduce((n, x) => n + x.cpu!, 0) * 1e6) / tokens : Number.NaN;
    };
    ctx.add({
      name, metric: 'CPU per generated token (generating process)', value: cpuPerToken(s), unit: 'µs',
      baseline_name: 'direct node-llama-cpp, same model + prompt', baseline_value: cpuPerToken(d),
    });
  } catch (err) {
    ctx.skip(name, 'tokens/s', (err as Error).message, target);
  } finally {
    client.close();
    await direct.close().catch(() => {});
    await releaseSuite(ctx, 'generation');
  }
}

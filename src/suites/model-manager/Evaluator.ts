import { randomUUID } from 'node:crypto';
import type { EvaluationStore } from './EvaluationStore.js';
import type { GenerationService } from './GenerationService.js';
import { ModelError } from './ModelError.js';
import type { ModelLifecycle } from './ModelLifecycle.js';

/** Default evaluation text set: short, plain sentences (any text works through byte fallback). */
export const DEFAULT_TEXTS = [
  'The quick brown fox jumps over the lazy dog.',
  'Hello world, this is a short test of the language model.',
  'A model that predicts text well assigns high probability to ordinary sentences.',
];
export const DEFAULT_PROMPTS = ['Hello', 'The weather today is', 'Once upon a time'];

export interface ModelScore {
  model_id: string;
  perplexity: number;
  tokens_evaluated: number;
  tokens_per_second: number;
  avg_latency_ms: number;
  tokens_generated: number;
  trust_score: number;
  evaluation_id: string;
}

export interface EvaluateRequest {
  modelIds: string[];
  texts?: string[];
  prompts?: string[];
  maxTokens?: number;
  seed?: number;
  signal?: AbortSignal;
}

const LATENCY_CEILING_MS = 5000; // PC2 MEF's latency ceiling (model_manager.md §5.2)

/**
 * Real evaluations run by the suite: perplexity on a text set (token log-probabilities from
 * node-llama-cpp's controlledEvaluate), generation speed and latency on a prompt set, and A/B
 * comparison of several models (two registry entries over the same GGUF with different LoRA
 * adapters compare adapters). Every score is stored as a model evaluation plus metric rows.
 */
export class Evaluator {
  constructor(
    private readonly lifecycle: ModelLifecycle,
    private readonly generation: GenerationService,
    private readonly store: EvaluationStore,
  ) {}

  async evaluate(req: EvaluateRequest): Promise<{ cycle_id: string; results: ModelScore[]; winner?: string }> {
    if (req.modelIds.length === 0) throw new ModelError('BAD_PARAMS', 'evaluate needs model_id or model_ids');
    const cycleId = randomUUID();
    const results: ModelScore[] = [];
    for (const id of req.modelIds) results.push(await this.scoreOne(id, cycleId, req));
    let winner: string | undefined;
    if (results.length > 1) {
      winner = [...results].sort((a, b) => a.perplexity - b.perplexity || b.tokens_per_second - a.tokens_per_second)[0]!.model_id;
    }
    return { cycle_id: cycleId, results, winner };
  }

  async perplexity(modelId: string, texts: string[], signal?: AbortSignal): Promise<{ perplexity: number; tokens: number; vocab: number }> {
    const model = await this.lifecycle.load(modelId, { signal });
    return model.use(async () => {
      const lease = await model.acquireSequence(signal);
      try {
        let sum = 0;
        let n = 0;
        for (const t of texts) {
          signal?.throwIfAborted();
          const logs = await model.tokenLogProbs(lease, t);
          for (const l of logs) sum += l;
          n += logs.length;
        }
        if (n === 0) throw new ModelError('BAD_PARAMS', 'the evaluation texts are too short to measure perplexity');
        return { perplexity: Math.exp(-sum / n), tokens: n, vocab: model.vocabularySize };
      } finally {
        lease.release();
      }
    });
  }

  private async scoreOne(modelId: string, cycleId: string, req: EvaluateRequest): Promise<ModelScore> {
    const ppl = await this.perplexity(modelId, req.texts?.length ? req.texts : DEFAULT_TEXTS, req.signal);
    const prompts = req.prompts?.length ? req.prompts : DEFAULT_PROMPTS;
    let latencySum = 0;
    let tokens = 0;
    let genMs = 0;
    for (const prompt of prompts) {
      const r = await this.generation.generate({
        modelId,
        prompt,
        maxTokens: req.maxTokens ?? 16,
        temperature: 0,
        seed: req.seed ?? 1,
        signal: req.signal,
      });
      latencySum += r.durationMs;
      tokens += r.tokensGenerated;
      genMs += r.durationMs;
    }
    const avgLatency = latencySum / prompts.length;
    const tps = genMs > 0 ? (tokens / genMs) * 1000 : 0;
    // Quality 1 = perfect prediction, 0 = no better than a uniform guess over the vocabulary.
    const vocab = Math.max(2, ppl.vocab);
    const quality = clamp01(1 - Math.log(ppl.perplexity) / Math.log(vocab));
    const speed = clamp01(1 - avgLatency / LATENCY_CEILING_MS);
    const trust = Math.round((0.7 * quality + 0.3 * speed) * 1000) / 1000;
    const context = { model_id: modelId, cycle_id: cycleId, source: 'evaluate' };
    this.store.logMetric({ agent_name: 'ModelManagerSuite', metric_name: 'perplexity', value: ppl.perplexity, context });
    this.store.logMetric({ agent_name: 'ModelManagerSuite', metric_name: 'tokens_per_second', value: tps, context });
    this.store.logMetric({ agent_name: 'ModelManagerSuite', metric_name: 'response_time_ms', value: avgLatency, context });
    const evaluationId = this.store.logEvaluation({
      model_name: modelId,
      cycle_id: cycleId,
      trust_score: trust,
      accuracy: null,
      f1_score: null,
      avg_latency_ms: avgLatency,
      comparison_data: {
        perplexity: ppl.perplexity,
        tokens_evaluated: ppl.tokens,
        tokens_per_second: tps,
        tokens_generated: tokens,
        prompts: prompts.length,
        compared_with: req.modelIds.filter((m) => m !== modelId),
      },
    });
    return {
      model_id: modelId,
      perplexity: round(ppl.perplexity, 3),
      tokens_evaluated: ppl.tokens,
      tokens_per_second: round(tps, 1),
      avg_latency_ms: round(avgLatency, 1),
      tokens_generated: tokens,
      trust_score: trust,
      evaluation_id: evaluationId,
    };
  }
}

function clamp01(n: number): number {
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
}
function round(n: number, d: number): number {
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

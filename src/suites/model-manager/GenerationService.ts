import type { Token } from 'node-llama-cpp';
import type { ConversationStore } from './ConversationStore.js';
import type { LoadedModel, SequenceLease } from './LoadedModel.js';
import { ModelError, isModelError } from './ModelError.js';
import type { ModelLifecycle } from './ModelLifecycle.js';

export interface GenerateRequest {
  modelId: string;
  prompt: string;
  systemPrompt?: string;
  /** Absent: the caller's default, capped at half the model's context. */
  maxTokens?: number;
  defaultMaxTokens?: number;
  temperature: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  grammar?: string;
  jsonSchema?: Record<string, unknown>;
  conversationId?: string;
  signal?: AbortSignal;
  /** Streaming: called with each text piece as it is produced. */
  onText?: (chunk: string) => void;
}

export interface GenerateResult {
  modelId: string;
  text: string;
  tokensGenerated: number;
  promptTokens: number;
  /** Prompt tokens whose KV state was already in the sequence (conversation reuse). */
  reusedTokens: number;
  stopReason: string;
  conversationId?: string;
  durationMs: number;
  tokensPerSecond: number;
}

/**
 * Text generation and embeddings on top of the lifecycle: loads the model on demand (legacy GGUF
 * auto-load, model_manager.md §2.6), leases a context sequence, runs node-llama-cpp's completion
 * (async native work; the event loop stays free) and keeps conversation state.
 */
export class GenerationService {
  /** Epoch ms of each model's last generation (legacy list_models shows last_used only after one). */
  readonly lastGenerated = new Map<string, number>();

  constructor(
    private readonly lifecycle: ModelLifecycle,
    private readonly conversations: ConversationStore,
    private readonly onUsage: (modelId: string, tokens: number) => void = () => undefined,
  ) {}

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    if (!req.prompt) throw new ModelError('BAD_PARAMS', 'prompt must be a non-empty string');
    const result = await this.withModel(req.modelId, req.signal, (model) => this.run(model, req));
    this.lastGenerated.set(req.modelId, Date.now());
    this.onUsage(req.modelId, result.tokensGenerated);
    return result;
  }

  async embed(modelId: string, texts: string[], signal?: AbortSignal): Promise<{ vectors: number[][]; dimension: number }> {
    const vectors = await this.withModel(modelId, signal, (model) => model.embed(texts, signal));
    this.onUsage(modelId, 0);
    const model = this.lifecycle.get(modelId);
    return { vectors, dimension: vectors[0]?.length ?? model?.embeddingSize ?? 0 };
  }

  /** Loads (if needed) and runs `fn` as in-flight work; retries once if the model was evicted in between. */
  private async withModel<T>(modelId: string, signal: AbortSignal | undefined, fn: (m: LoadedModel) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const model = await this.lifecycle.load(modelId, { signal });
      try {
        return await model.use(() => fn(model));
      } catch (err) {
        if (attempt === 0 && isModelError(err, 'NOT_LOADED') && model.disposed) continue;
        throw err;
      }
    }
  }

  private async lease(model: LoadedModel, signal?: AbortSignal): Promise<SequenceLease> {
    if (model.freeSequences() === 0) this.conversations.releaseOneSequence(model);
    return model.acquireSequence(signal);
  }

  private async run(model: LoadedModel, req: GenerateRequest): Promise<GenerateResult> {
    if (req.maxTokens !== undefined && req.maxTokens > model.contextSize) {
      throw new ModelError('BAD_PARAMS', `max_tokens ${req.maxTokens} exceeds the context size of ${model.id} (${model.contextSize} tokens)`, {
        model_id: model.id,
      });
    }
    const maxTokens = req.maxTokens ?? Math.min(req.defaultMaxTokens ?? 256, Math.floor(model.contextSize / 2));
    const opts = {
      maxTokens,
      temperature: req.temperature,
      topP: req.topP,
      topK: req.topK,
      seed: req.seed,
      stop: req.stop,
      grammar: req.grammar,
      jsonSchema: req.jsonSchema,
      signal: req.signal,
      onText: req.onText,
    };
    const firstText = req.systemPrompt ? `${req.systemPrompt}\n\n${req.prompt}` : req.prompt;

    if (!req.conversationId) {
      const lease = await this.lease(model, req.signal);
      try {
        const res = await model.complete(lease, model.tokenize(firstText), opts);
        return this.result(model.id, res);
      } finally {
        lease.release();
      }
    }

    const conv = this.conversations.open(req.conversationId, model.id);
    if (conv.busy) {
      throw new ModelError('BAD_PARAMS', `conversation ${conv.id} is already generating; send its next turn after the reply`, {
        conversation_id: conv.id,
      });
    }
    conv.busy = true;
    try {
      if (conv.lease && conv.leaseOwner !== model) {
        // The model was unloaded and loaded again since the last turn: the old sequence is gone.
        conv.lease = undefined;
        conv.leaseOwner = undefined;
      }
      if (!conv.lease) {
        conv.lease = await this.lease(model, req.signal);
        conv.leaseOwner = model;
      }
      const input: Token[] = conv.tokens.length
        ? [...conv.tokens, ...model.tokenize(`\n${req.prompt}`)]
        : model.tokenize(firstText);
      const res = await model.complete(conv.lease, input, opts);
      conv.tokens = res.historyTokens;
      conv.turns++;
      return { ...this.result(model.id, res), conversationId: conv.id };
    } finally {
      conv.busy = false;
      conv.lastUsed = Date.now();
    }
  }

  private result(modelId: string, res: Awaited<ReturnType<LoadedModel['complete']>>): GenerateResult {
    return {
      modelId,
      text: res.text,
      tokensGenerated: res.generatedTokens,
      promptTokens: res.promptTokens,
      reusedTokens: res.reusedTokens,
      stopReason: res.stopReason,
      durationMs: res.durationMs,
      tokensPerSecond: res.durationMs > 0 ? Math.round((res.generatedTokens / res.durationMs) * 1000 * 10) / 10 : 0,
    };
  }
}

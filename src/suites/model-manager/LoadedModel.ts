import type {
  LlamaGrammar,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import { nodeLlamaCpp } from './nodeLlamaCpp.js';
import { ModelError, errorText } from './ModelError.js';
import type { ModelSpec } from './suiteConfig.js';

export interface CompletionOptions {
  maxTokens: number;
  temperature: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  /** GBNF grammar text. */
  grammar?: string;
  /** JSON schema the output must follow (node-llama-cpp turns it into a grammar). */
  jsonSchema?: Record<string, unknown>;
  signal?: AbortSignal;
  onText?: (chunk: string) => void;
}

export interface CompletionResult {
  text: string;
  promptTokens: number;
  generatedTokens: number;
  stopReason: string;
  /** Tokens now in the sequence's history: the input plus the response (for conversations). */
  historyTokens: Token[];
  /** Input tokens whose KV state the sequence already held (not evaluated again). */
  reusedTokens: number;
  durationMs: number;
}

/** A sequence on loan from the model's context; give it back with release(). */
export interface SequenceLease {
  readonly sequence: LlamaContextSequence;
  release(): void;
}

/**
 * One model in memory: the LlamaModel, a context with N parallel sequences (conversations and
 * one-shot generations each take one), and a lazily created embedding context. Disposal waits for
 * in-flight work (STYLE.md "Unloading a model waits for in-flight generations").
 */
export class LoadedModel {
  private readonly free: LlamaContextSequence[] = [];
  private readonly waiters: Array<(s: LlamaContextSequence) => void> = [];
  private embedding?: Promise<LlamaEmbeddingContext>;
  private embedChain: Promise<unknown> = Promise.resolve();
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private disposing?: Promise<void>;
  readonly loadedAt = Date.now();
  lastUsed = Date.now();

  private constructor(
    readonly spec: ModelSpec,
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    /** MiB node-llama-cpp reported this model + context took (VRAM on GPU, else RAM). */
    readonly measuredMb: number,
  ) {}

  static async create(llama: Llama, spec: ModelSpec, signal?: AbortSignal): Promise<LoadedModel> {
    const before = await llama.getLlamaMemoryUsage();
    const gpuLayers = llama.gpu === false || spec.gpuLayers === 0 ? 0 : spec.gpuLayers < 0 ? 'max' : spec.gpuLayers;
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: spec.path, gpuLayers, loadSignal: signal });
    } catch (err) {
      throw new ModelError('LOAD_FAILED', `llama.cpp could not load ${spec.id}: ${errorText(err)}`, { model_id: spec.id });
    }
    try {
      const context = await model.createContext({
        contextSize: spec.contextSize,
        sequences: spec.sequences,
        threads: spec.threads,
        lora: spec.loraAdapters.length
          ? { adapters: spec.loraAdapters.map((a) => ({ filePath: a.path, scale: a.scale })) }
          : undefined,
        createSignal: signal,
      });
      const after = await llama.getLlamaMemoryUsage();
      const onGpu = llama.gpu !== false && gpuLayers !== 0;
      const delta = onGpu ? after.gpuVram - before.gpuVram : after.cpuRam - before.cpuRam;
      return new LoadedModel(spec, llama, model, context, Math.max(0, Math.round((delta / 1024 / 1024) * 10) / 10));
    } catch (err) {
      await model.dispose().catch(() => undefined);
      throw new ModelError('LOAD_FAILED', `could not create a context for ${spec.id}: ${errorText(err)}`, { model_id: spec.id });
    }
  }

  get id(): string {
    return this.spec.id;
  }

  get inUse(): boolean {
    return this.active > 0;
  }

  get disposed(): boolean {
    return this.disposing !== undefined;
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  /** Number of tokens in the model's vocabulary (from the GGUF tokenizer metadata). */
  get vocabularySize(): number {
    const tokens = (this.model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } }).tokenizer?.ggml?.tokens;
    return Array.isArray(tokens) ? tokens.length : 0;
  }

  get embeddingSize(): number {
    return this.model.embeddingVectorSize;
  }

  /** Runs work while counting it as in-flight, so dispose() waits for it. */
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.disposing) throw new ModelError('NOT_LOADED', `model ${this.id} is being unloaded`, { model_id: this.id });
    this.active++;
    this.lastUsed = Date.now();
    try {
      return await fn();
    } finally {
      this.active--;
      this.lastUsed = Date.now();
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  freeSequences(): number {
    return this.free.length + this.context.sequencesLeft;
  }

  /** A sequence for one generation or conversation; waits when all are lent out. */
  async acquireSequence(signal?: AbortSignal): Promise<SequenceLease> {
    if (this.disposing) throw new ModelError('NOT_LOADED', `model ${this.id} is being unloaded`, { model_id: this.id });
    let seq = this.free.pop();
    if (!seq && this.context.sequencesLeft > 0) seq = this.context.getSequence();
    if (!seq) {
      seq = await new Promise<LlamaContextSequence>((resolve, reject) => {
        const waiter = (s: LlamaContextSequence) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        };
        const onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(waiter);
      });
    }
    let released = false;
    const lease: SequenceLease = {
      sequence: seq,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) next(seq!);
        else this.free.push(seq!);
      },
    };
    return lease;
  }

  /** Tokens of `text` without BOS: node-llama-cpp's completion prepends BOS itself when the model wants one. */
  tokenize(text: string): Token[] {
    return this.model.tokenize(text);
  }

  /** What the sequence will actually hold for `input` (BOS first when the model uses one). */
  private effectiveInput(input: Token[]): Token[] {
    const bos = this.model.tokens.bos;
    return bos !== null && this.model.tokens.shouldPrependBosToken ? [bos, ...input] : input;
  }

  detokenize(tokens: Token[]): string {
    return this.model.detokenize(tokens);
  }

  /**
   * Completes `input` (tokens) on the leased sequence. node-llama-cpp keeps the sequence's KV state
   * and only evaluates the part of `input` that differs from what the sequence already holds, which
   * is what makes conversations cheap.
   */
  async complete(lease: SequenceLease, input: Token[], opts: CompletionOptions): Promise<CompletionResult> {
    const started = Date.now();
    const { LlamaCompletion, LlamaGrammar } = await nodeLlamaCpp();
    let grammar: LlamaGrammar | undefined;
    try {
      if (opts.jsonSchema) grammar = await this.llama.createGrammarForJsonSchema(opts.jsonSchema as never);
      else if (opts.grammar) grammar = new LlamaGrammar(this.llama, { grammar: opts.grammar });
    } catch (err) {
      throw new ModelError('BAD_PARAMS', `invalid ${opts.jsonSchema ? 'json_schema' : 'grammar'}: ${errorText(err)}`);
    }
    const held = lease.sequence.contextTokens;
    const effective = this.effectiveInput(input);
    let reused = 0;
    while (reused < held.length && reused < effective.length && held[reused] === effective[reused]) reused++;
    const completion = new LlamaCompletion({ contextSequence: lease.sequence });
    const generated: Token[] = [];
    try {
      const res = await completion.generateCompletionWithMeta(input, {
        maxTokens: opts.maxTokens,
        temperature: opts.temperature,
        topP: opts.topP,
        topK: opts.topK,
        seed: opts.seed,
        grammar,
        customStopTriggers: opts.stop?.filter((s) => s.length > 0),
        signal: opts.signal,
        onToken: (t) => {
          generated.push(...t);
        },
        onTextChunk: opts.onText,
      });
      // onToken misses tokens node-llama-cpp held back because their text ended inside a UTF-8
      // sequence (released only if valid text follows, which may never happen). Every sampled
      // token but the last is in the sequence's KV state, so that gives the true count.
      const sampled = lease.sequence.contextTokens.length - effective.length + 1;
      return {
        text: res.response,
        promptTokens: input.length,
        generatedTokens: Math.max(generated.length, sampled),
        stopReason: res.metadata.stopReason,
        // The exact tokens produced (re-tokenizing the text would not match what the KV cache holds).
        historyTokens: [...input, ...generated],
        reusedTokens: reused,
        durationMs: Date.now() - started,
      };
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  }

  /** Embedding vectors, one per text; calls are serialised on one embedding context. */
  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    if (!this.embedding) {
      const created = this.model.createEmbeddingContext({
        contextSize: Math.min(this.spec.contextSize, 2048),
        threads: this.spec.threads,
      });
      this.embedding = created;
      created.catch(() => {
        if (this.embedding === created) this.embedding = undefined; // let the next call retry
      });
    }
    const ctx = await this.embedding;
    const run = this.embedChain.then(async () => {
      const out: number[][] = [];
      for (const t of texts) {
        signal?.throwIfAborted();
        const e = await ctx.getEmbeddingFor(t);
        out.push([...e.vector]);
      }
      return out;
    });
    this.embedChain = run.catch(() => undefined);
    return run;
  }

  /** Log-probabilities of each token of `text` given its prefix (for perplexity). */
  async tokenLogProbs(lease: SequenceLease, text: string): Promise<number[]> {
    const tokens = this.effectiveInput(this.tokenize(text));
    if (tokens.length < 2) return [];
    await lease.sequence.clearHistory();
    const items = tokens.map((t, i) => [t, i < tokens.length - 1 ? { generateNext: { probabilities: true } } : {}] as const);
    const out = await lease.sequence.controlledEvaluate(items as never);
    const logs: number[] = [];
    for (let i = 0; i < tokens.length - 1; i++) {
      const probs = out[i]?.next?.probabilities;
      const p = probs?.get(tokens[i + 1]!) ?? 0;
      logs.push(Math.log(Math.max(p, 1e-12)));
    }
    await lease.sequence.clearHistory();
    return logs;
  }

  /** Waits for in-flight work, then frees the context and the model. Same promise when called twice. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      if (this.active > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      const emb = this.embedding;
      if (emb) await emb.then((e) => e.dispose()).catch(() => undefined);
      await this.context.dispose().catch(() => undefined);
      await this.model.dispose().catch(() => undefined);
    })();
    return this.disposing;
  }
}

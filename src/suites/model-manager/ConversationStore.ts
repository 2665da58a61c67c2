import type { Token } from 'node-llama-cpp';
import type { LoadedModel, SequenceLease } from './LoadedModel.js';

export interface Conversation {
  id: string;
  modelId: string;
  /** Everything the model has seen in this conversation (prompts and responses). */
  tokens: Token[];
  /** The context sequence holding the KV state, while the model keeps it resident. */
  lease?: SequenceLease;
  /** The loaded instance the lease belongs to (a reload makes a new instance; the old lease is void). */
  leaseOwner?: LoadedModel;
  busy: boolean;
  turns: number;
  createdAt: number;
  lastUsed: number;
}

/**
 * Conversations keep their context sequence between calls, so a follow-up prompt only evaluates
 * its new tokens. Limits follow legacy GGUF (model_manager.md §2.5): at most `max` conversations,
 * oldest evicted first, and each expires after `timeoutMs` without use. When a model runs out of
 * sequences, the least recently used idle conversation of that model gives its sequence back but
 * keeps its token history, so its next turn re-evaluates the history on a fresh sequence.
 */
export class ConversationStore {
  private readonly convs = new Map<string, Conversation>();

  constructor(
    private readonly max: number,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.convs.size;
  }

  get(id: string): Conversation | undefined {
    return this.convs.get(id);
  }

  /** Existing conversation for this model, or a new one (a conversation bound to another model restarts). */
  open(id: string, modelId: string): Conversation {
    let c = this.convs.get(id);
    if (c && c.modelId !== modelId) {
      this.drop(id);
      c = undefined;
    }
    if (!c) {
      c = { id, modelId, tokens: [], busy: false, turns: 0, createdAt: Date.now(), lastUsed: Date.now() };
      this.convs.set(id, c);
      this.enforceMax(id);
    }
    return c;
  }

  /** Removes a conversation and frees its sequence; false when unknown. */
  drop(id: string): boolean {
    const c = this.convs.get(id);
    if (!c) return false;
    c.lease?.release();
    c.lease = undefined;
    this.convs.delete(id);
    return true;
  }

  /** Frees the sequence of the least recently used idle conversation holding one of this model instance. */
  releaseOneSequence(model: LoadedModel): boolean {
    let oldest: Conversation | undefined;
    for (const c of this.convs.values()) {
      if (c.leaseOwner !== model || c.busy || !c.lease) continue;
      if (!oldest || c.lastUsed < oldest.lastUsed) oldest = c;
    }
    if (!oldest) return false;
    oldest.lease!.release();
    oldest.lease = undefined;
    oldest.leaseOwner = undefined;
    return true;
  }

  /**
   * The model is going away: idle conversations on it give their sequence back (history stays).
   * A conversation in the middle of a turn keeps its lease until the turn ends; the unload waits
   * for that turn, and the next turn sees the lease belongs to a disposed instance.
   */
  detachModel(modelId: string): void {
    for (const c of this.convs.values()) {
      if (c.modelId === modelId && c.lease && !c.busy) {
        c.lease.release();
        c.lease = undefined;
        c.leaseOwner = undefined;
      }
    }
  }

  /** Drops conversations idle longer than the timeout; returns their ids. */
  expire(now = Date.now()): string[] {
    const gone: string[] = [];
    for (const c of [...this.convs.values()]) {
      if (!c.busy && now - c.lastUsed >= this.timeoutMs) {
        this.drop(c.id);
        gone.push(c.id);
      }
    }
    return gone;
  }

  clear(): void {
    for (const id of [...this.convs.keys()]) this.drop(id);
  }

  private enforceMax(keep: string): void {
    while (this.convs.size > this.max) {
      let oldest: Conversation | undefined;
      for (const c of this.convs.values()) {
        if (c.id === keep || c.busy) continue;
        if (!oldest || c.lastUsed < oldest.lastUsed) oldest = c;
      }
      if (!oldest) return;
      this.drop(oldest.id);
    }
  }
}

import type { RequestContext } from '../../runtime/Agent.js';
import type { Sampling } from '../../../contracts/model-manager/common.js';
import type { GenerateRequest, GenerateResult } from './GenerationService.js';

export interface SamplingDefaults {
  max_tokens: number;
  temperature: number;
  top_p: number;
}

/**
 * Builds a GenerateRequest from a contract's sampling fields (nulls → defaults) and wires token
 * streaming: when the client is a DEALER peer that sent `stream: true`, the runtime gives us
 * ctx.stream and each text piece goes out as a chunk reply before the final one.
 */
export function toGenerateRequest(
  modelId: string,
  prompt: string,
  s: Sampling,
  defaults: SamplingDefaults,
  ctx: RequestContext,
  extra: { systemPrompt?: string | null; conversationId?: string; chunkStatus: string },
): GenerateRequest {
  let index = 0;
  const stream = ctx.stream;
  return {
    modelId,
    prompt,
    systemPrompt: extra.systemPrompt ?? undefined,
    maxTokens: s.max_tokens ?? undefined,
    defaultMaxTokens: defaults.max_tokens,
    temperature: s.temperature ?? defaults.temperature,
    topP: s.top_p ?? defaults.top_p,
    topK: s.top_k ?? undefined,
    seed: s.seed ?? undefined,
    stop: s.stop,
    grammar: s.grammar ?? undefined,
    jsonSchema: s.json_schema ?? undefined,
    conversationId: extra.conversationId,
    signal: ctx.signal,
    onText: stream
      ? (chunk: string) => {
          if (!chunk) return;
          stream({ status: extra.chunkStatus, model_id: modelId, index: index++, text: chunk }).catch((err: Error) =>
            ctx.log.debug({ err: err.message }, 'stream chunk not delivered'),
          );
        }
      : undefined,
  };
}

/** Fields every generation reply carries besides its legacy ones. */
export function generationStats(r: GenerateResult, streamed: boolean): Record<string, unknown> {
  return {
    tokens_generated: r.tokensGenerated,
    prompt_tokens: r.promptTokens,
    reused_tokens: r.reusedTokens,
    stop_reason: r.stopReason,
    duration_ms: r.durationMs,
    tokens_per_second: r.tokensPerSecond,
    ...(streamed ? { stream: 'end' } : {}),
  };
}

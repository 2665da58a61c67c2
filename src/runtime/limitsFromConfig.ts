import type { PipelineLimits } from './RequestPipeline.js';

/** Reads the optional `limits:` map of a suite's config (snake_case keys, numbers). */
export function limitsFromConfig(config: Record<string, unknown> | undefined): Partial<PipelineLimits> {
  const raw = config?.limits;
  if (!raw || typeof raw !== 'object') return {};
  const l = raw as Record<string, unknown>;
  const out: Partial<PipelineLimits> = {};
  const num = (k: string) => (typeof l[k] === 'number' && Number.isFinite(l[k]) ? (l[k] as number) : undefined);
  if (num('max_frame_bytes') !== undefined) out.maxFrameBytes = num('max_frame_bytes');
  if (num('max_in_flight') !== undefined) out.maxInFlight = num('max_in_flight');
  if (num('request_timeout_ms') !== undefined) out.requestTimeoutMs = num('request_timeout_ms');
  if (num('dedup_window_ms') !== undefined) out.dedupWindowMs = num('dedup_window_ms');
  return out;
}

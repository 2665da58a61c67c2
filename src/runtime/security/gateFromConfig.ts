import type { RequestGate } from '../RequestPipeline.js';
import type { Logger } from '../logger.js';
import { RateLimiter } from './RateLimiter.js';
import { TokenGate } from './TokenGate.js';

export interface BuiltGate {
  gate?: RequestGate;
  close(): void;
}

const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);

/**
 * Builds the request gate from a suite's config:
 *   limits.rate_per_client / limits.rate_burst   per-client token bucket
 *   security.auth.enabled, .endpoint, .public_actions, .allowed_actions, .cache_ttl_ms
 * Nothing configured → no gate (legacy behaviour).
 */
export function gateFromConfig(config: Record<string, unknown> | undefined, log: Logger): BuiltGate {
  const limits = (config?.limits ?? {}) as Record<string, unknown>;
  const auth = ((config?.security as Record<string, unknown> | undefined)?.auth ?? {}) as Record<string, unknown>;
  const rate = typeof limits.rate_per_client === 'number' && limits.rate_per_client > 0
    ? new RateLimiter(limits.rate_per_client, typeof limits.rate_burst === 'number' ? limits.rate_burst : undefined)
    : undefined;
  let tokens: TokenGate | undefined;
  if (auth.enabled === true) {
    if (typeof auth.endpoint !== 'string') throw new Error('security.auth.enabled needs security.auth.endpoint (tcp://host:7116)');
    tokens = new TokenGate({
      endpoint: auth.endpoint,
      publicActions: list(auth.public_actions),
      allowedActions: list(auth.allowed_actions),
      cacheTtlMs: typeof auth.cache_ttl_ms === 'number' ? auth.cache_ttl_ms : undefined,
      log,
    });
  }
  if (!rate && !tokens) return { close() {} };
  return {
    gate: async (req, frame) => rate?.check(frame.peerId) ?? (tokens ? await tokens.check(req) : undefined),
    close: () => tokens?.close(),
  };
}

import type { Params } from './Agent.js';

export type Discriminator = 'action' | 'command' | 'request_type' | 'type';

export interface NormalizedRequest {
  /** The verb as sent (case kept), or undefined when none of the four keys holds a string. */
  readonly action?: string;
  readonly discriminator?: Discriminator;
  /** Top-level keys with `data` and `payload` objects merged underneath; top-level keys win. */
  readonly params: Params;
  readonly requestId?: string;
  readonly targetAgent?: string;
  readonly raw: Record<string, unknown>;
}

const DISCRIMINATORS: Discriminator[] = ['action', 'command', 'request_type', 'type'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Builds the routing view of a decoded request (infrastructure.md §4.2, §4.5): the verb comes from
 * the first of action → command → request_type → type that holds a non-empty string; `data` and
 * `payload` sub-objects are spread under the top-level keys. The `data` key itself is kept, since
 * some agents have a field literally named `data`. `source_agent`, `request_id` and `timestamp`
 * added by legacy clients are tolerated and stay visible in the view.
 */
export function normalizeRequest(raw: Record<string, unknown>): NormalizedRequest {
  let action: string | undefined;
  let discriminator: Discriminator | undefined;
  for (const key of DISCRIMINATORS) {
    const v = raw[key];
    if (typeof v === 'string' && v.length > 0) {
      action = v;
      discriminator = key;
      break;
    }
  }
  const params: Params = {};
  if (isPlainObject(raw.payload)) Object.assign(params, raw.payload);
  if (isPlainObject(raw.data)) Object.assign(params, raw.data);
  Object.assign(params, raw);
  const requestId = typeof raw.request_id === 'string' || typeof raw.request_id === 'number' ? String(raw.request_id) : undefined;
  const targetAgent = typeof raw.target_agent === 'string' && raw.target_agent ? raw.target_agent : undefined;
  return { action, discriminator, params, requestId, targetAgent, raw };
}

/** `GET_LOADED_MODELS_STATUS` → `get_loaded_models_status`; `HealthCheck` → `health_check`. */
export function toSnakeCase(verb: string): string {
  return verb
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase();
}

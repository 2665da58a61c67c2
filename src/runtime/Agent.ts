import type { z } from 'zod';
import type { Logger } from './logger.js';

/** The parameter view of one request: `data`/`payload` merged under the top-level keys. */
export type Params = Record<string, unknown>;
/** A reply object before encoding. The runtime adds `request_id` and fills `message`/`error`. */
export type Reply = Record<string, unknown>;

export interface RequestContext {
  /** Suite name, e.g. "MemoryHub". */
  readonly suite: string;
  /** Legacy agent that handles the request. */
  readonly agent: string;
  /** Action as routed (normalised from action/command/request_type/type). */
  readonly action: string;
  /** `request_id` from the envelope, if the client sent one. */
  readonly requestId?: string;
  /** The decoded request object exactly as received (before the parameter view was built). */
  readonly raw: Record<string, unknown>;
  /** Aborted when the per-request timeout expires or the suite shuts down. */
  readonly signal: AbortSignal;
  /**
   * Send an intermediate reply before the final one (token streaming). Only DEALER-style peers can
   * take more than one reply per request; for a REQ peer this is undefined and the handler must
   * answer once.
   */
  readonly stream?: (chunk: Reply) => Promise<void>;
  readonly log: Logger;
}

export interface ActionDefinition<S extends z.ZodType = z.ZodType> {
  /** Zod schema of the parameter view; the handler receives the parsed output. */
  readonly params?: S;
  /** Overrides the suite's per-request timeout (ms), e.g. for generation or training calls. */
  readonly timeoutMs?: number;
  /**
   * Legacy wording for a request that fails the schema (e.g. "memory_id is required."). Gets the
   * first bad field and the generic description; returns the error reply to send. Without it the
   * runtime answers "Invalid request for <action>: <details>".
   */
  readonly onInvalid?: (problem: { field?: string; details: string }) => Record<string, unknown>;
  /** One line for the generated reference in contracts/. */
  readonly description?: string;
  /**
   * Shape of a successful reply where it is fixed, published as `<action>.reply` in
   * contracts/schema (a failure is always {status:"error", message, error}). Under NODE_ENV=test the
   * runtime checks every successful reply against it, so the published shape cannot drift.
   */
  readonly reply?: z.ZodType;
  /**
   * Returns the reply. Usually an object (the runtime echoes `request_id` into it); a few legacy
   * actions answered a bare value (array, boolean), which is sent as is.
   */
  readonly handler: (params: z.output<S>, ctx: RequestContext) => Promise<unknown> | unknown;
}

/** Typed helper so the handler's `params` type follows from the schema. */
export function defineAction<S extends z.ZodType>(def: ActionDefinition<S>): ActionDefinition {
  return def as unknown as ActionDefinition;
}

/**
 * One legacy agent living on inside a suite. Subclasses map action names to handlers and keep that
 * agent's reply conventions; the domain work belongs to services under src/suites/<suite>/.
 */
export abstract class Agent {
  /** The legacy agent name, e.g. "MemoryOrchestratorService"; also the `target_agent` value. */
  abstract readonly name: string;
  /** The agent's own legacy main port, bound only when the suite config sets `legacy_ports: true`. */
  readonly legacyPort?: number;
  /**
   * The agent's own legacy health port (as the legacy specs give it, e.g. 5571 for
   * ModelManagerAgent), bound with `legacy_ports: true`; any frame there gets legacyHealth().
   */
  readonly legacyHealthPort?: number;
  /**
   * This agent's legacy health reply. `base` is the BaseAgent default object (status, ready,
   * initialized, message "<Name> is healthy", timestamp, uptime, active_threads); without an
   * override it is sent as is, plus `service`.
   */
  legacyHealth?(base: Record<string, unknown>): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Action name → definition. Called once at registration. */
  abstract actions(): Record<string, ActionDefinition>;
  /**
   * This agent's own wording for a verb it does not know, used when the request was addressed to
   * it (target_agent or its legacy port). Without it the runtime's `Unknown action: <x>` is sent.
   */
  unknownAction?(action: string, params: Params): Record<string, unknown>;
  /** Extra fields this agent contributes to the suite health object (under `agents.<name>`). */
  health?(): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/**
 * How an action name shared by several agents of one suite is resolved when the request carries
 * no `target_agent`. `pick` looks at the parameter view and names an agent or returns undefined;
 * `fallback` is the documented default. `rule` is the human-readable text for contracts/.
 */
export interface CollisionRule {
  readonly action: string;
  readonly pick?: (params: Params) => string | undefined;
  readonly fallback: string;
  readonly rule: string;
}

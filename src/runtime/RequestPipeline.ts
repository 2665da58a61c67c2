import { createHash } from 'node:crypto';
import type { Reply } from './Agent.js';
import { HandlerContext } from './HandlerContext.js';
import type { AgentRouter, RoutedAction } from './AgentRouter.js';
import { HEALTH_VERBS } from './AgentRouter.js';
import type { ErrorReporter } from './ErrorBusPublisher.js';
import { SuiteError, errorReply, formatError, type ErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import { normalizeRequest, type NormalizedRequest } from './normalizeRequest.js';
import type { SuiteMetrics } from './SuiteMetrics.js';
import { validateParams } from './validateParams.js';
import { CodecError, detectCodec, jsonCodec, type Codec } from '../transport/codec/index.js';
import type { IncomingFrame } from '../transport/RouterServer.js';
import { ReplyCache } from './ReplyCache.js';
import { describeSuite } from './describeSuite.js';
import { DeadlineSweeper } from './DeadlineSweeper.js';
import { durableBarrier } from '../stores/sqlite/GroupCommit.js';

export interface PipelineLimits {
  /** Frames larger than this get FRAME_TOO_LARGE (bytes). */
  maxFrameBytes: number;
  /** Requests handled at once per suite; beyond it the reply is BUSY. */
  maxInFlight: number;
  /** Default per-request timeout (ms); an action may set its own. */
  requestTimeoutMs: number;
  /** How long a reply is kept for a resent request_id (ms); 0 disables de-duplication. */
  dedupWindowMs: number;
}

export const DEFAULT_LIMITS: PipelineLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxInFlight: 1024,
  requestTimeoutMs: 10_000,
  dedupWindowMs: 60_000,
};

/** Optional gate run before routing (auth, rate limits); returns an error reply to refuse. */
export type RequestGate = (req: NormalizedRequest, frame: IncomingFrame) => Promise<Reply | undefined> | Reply | undefined;

export interface PipelineOptions {
  suite: string;
  router: AgentRouter;
  limits: PipelineLimits;
  metrics: SuiteMetrics;
  errors: ErrorReporter;
  log: Logger;
  health: () => Promise<Record<string, unknown>>;
  gate?: RequestGate;
  /** Suite.inferAction: names the verb of a request that has none. */
  inferAction?: (params: Record<string, unknown>) => string | undefined;
}

/**
 * One request from frame to reply: size check → decode → normalise → (gate) → route → validate →
 * handler under timeout → reply conventions → encode like the request. Every frame gets exactly
 * one final reply, whatever happens on the way.
 */
export class RequestPipeline {
  private inFlight = 0;
  /** Running handlers' abort controllers, and why they are aborted once shutdown began. */
  private readonly aborts: { signals: Set<AbortController>; shutdownReason?: SuiteError } = { signals: new Set() };
  private readonly replies: ReplyCache;
  private readonly deadlines = new DeadlineSweeper();
  private draining = false;

  constructor(private readonly opts: PipelineOptions) {
    this.replies = new ReplyCache(opts.limits.dedupWindowMs);
    opts.metrics.inFlightSource = () => this.inFlight;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Entry point for a RouterServer. `fixedAgent` is set on legacy-port listeners. */
  handleFrame(frame: IncomingFrame, fixedAgent?: string): void {
    this.process(frame, fixedAgent).catch((err: unknown) => {
      // A bug on the way (not in a handler, those are caught in answer()): still exactly one reply.
      this.opts.log.error({ err }, 'request pipeline failed');
      this.send(frame, jsonCodec, errorReply(`internal error: ${err instanceof Error ? err.message : String(err)}`));
    });
  }

  /** Encodes like the request and hands the reply to the socket. */
  private send(frame: IncomingFrame, codec: Codec, value: unknown): void {
    let buf: Buffer;
    try {
      buf = codec.encode(value);
    } catch (err) {
      buf = jsonCodec.encode(errorReply(`reply could not be encoded: ${(err as Error).message}`));
    }
    frame.reply(buf);
  }

  private async process(frame: IncomingFrame, fixedAgent?: string): Promise<void> {
    const { limits, metrics, suite } = this.opts;
    let codec: Codec = jsonCodec;
    if (frame.body.length > limits.maxFrameBytes) {
      metrics.busRejected.inc({ suite, reason: 'too_large' });
      return this.send(frame, codec, errorReply(formatError('FRAME_TOO_LARGE', { size: frame.body.length, limit: limits.maxFrameBytes }), { code: 'FRAME_TOO_LARGE' }));
    }
    let decoded: unknown;
    try {
      codec = detectCodec(frame.body);
      decoded = codec.decode(frame.body);
    } catch (err) {
      // Legacy loop wording, key `error` (infrastructure.md §1.3); `message` added for newer clients.
      const text = err instanceof CodecError ? err.message : 'Invalid JSON request';
      metrics.requests.inc({ suite, agent: 'none', action: 'invalid', status: 'error' });
      return this.send(frame, codec, errorReply(text));
    }
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
      metrics.requests.inc({ suite, agent: 'none', action: 'invalid', status: 'error' });
      return this.send(frame, codec, errorReply(formatError('NOT_AN_OBJECT')));
    }
    const req = normalizeRequest(decoded as Record<string, unknown>);

    // Streaming needs a peer that can take several replies (DEALER without delimiter).
    const streamAllowed = req.params.stream === true && !frame.delimited;

    const dedupKey = req.requestId && !streamAllowed ? dedupKeyOf(req.requestId, frame.body) : undefined;
    if (dedupKey) {
      const earlier = this.replies.get(dedupKey);
      if (earlier) {
        metrics.requests.inc({ suite, agent: 'none', action: 'duplicate', status: 'ok' });
        return this.send(frame, codec, withRequestId(await earlier, req.requestId));
      }
    }

    const streamSend = streamAllowed ? (v: unknown) => this.send(frame, codec, v) : undefined;
    const work = this.answer(req, frame, fixedAgent, streamSend).then((reply) => this.afterCommit(reply));
    if (dedupKey) this.replies.set(dedupKey, work);
    this.send(frame, codec, withRequestId(await work, req.requestId));
  }

  /**
   * Holds a reply until the group-commit batches open now are on disk (GroupCommit.ts): a write
   * is acknowledged only once durable. A batch that failed to commit turns the reply into an error.
   */
  private afterCommit(reply: unknown): unknown {
    const barrier = durableBarrier();
    if (!barrier) return reply;
    return barrier.then(
      () => reply,
      (err: Error) => {
        this.opts.metrics.errors.inc({ suite: this.opts.suite, agent: 'none', action: 'commit', code: 'NOT_DURABLE' });
        return errorReply(formatError('NOT_DURABLE', { error: err.message }), { code: 'NOT_DURABLE' });
      },
    );
  }

  /** Counts one answered request in the metrics and returns the reply. */
  private finish(acc: Accounting, reply: unknown, code?: string): unknown {
    const isError = code !== undefined || (isObject(reply) && reply.status === 'error');
    const stats = this.opts.metrics.forAction(acc.agent, acc.action);
    if (isError) {
      stats.error++;
      this.opts.metrics.errors.inc({ suite: this.opts.suite, agent: acc.agent, action: acc.action, code: code ?? 'HANDLER_ERROR' });
    } else stats.ok++;
    stats.observe(Number(process.hrtime.bigint() - acc.started) / 1e9);
    return reply;
  }

  private fail(acc: Accounting, code: ErrorCode, vars: Record<string, unknown> = {}): unknown {
    return this.finish(acc, errorReply(formatError(code, vars), { code }), code);
  }

  private async answer(
    req: NormalizedRequest,
    frame: IncomingFrame,
    fixedAgent: string | undefined,
    streamSend: ((v: unknown) => void) | undefined,
  ): Promise<unknown> {
    const { metrics, suite, limits } = this.opts;
    const acc = new Accounting(fixedAgent ?? 'none');

    if (this.draining) return this.fail(acc, 'SHUTTING_DOWN');

    if (this.opts.gate) {
      try {
        const refusal = await this.opts.gate(req, frame);
        if (refusal) {
          metrics.busRejected.inc({ suite, reason: String(refusal.code ?? 'gate') });
          return this.finish(acc, refusal, String(refusal.code ?? 'UNAUTHORIZED'));
        }
      } catch (err) {
        return this.finish(acc, errorReply(`unauthorized: ${(err as Error).message}`, { code: 'UNAUTHORIZED' }), 'UNAUTHORIZED');
      }
    }

    const verb = req.action ?? this.opts.inferAction?.(req.params);
    // Legacy BaseAgent answered a request without a verb as "Unknown action: None".
    if (!verb) return this.fail(acc, 'UNKNOWN_ACTION', { action: 'None' });
    let routed: RoutedAction | undefined;
    try {
      routed = this.opts.router.resolve(req, verb, fixedAgent);
    } catch (err) {
      if (err instanceof SuiteError) return this.finish(acc, errorReply(err.message, { code: err.code }), err.code);
      throw err;
    }
    if (!routed) {
      const addressed = fixedAgent ?? req.targetAgent;
      const own = addressed ? this.opts.router.getAgent(addressed) : undefined;
      if (own?.unknownAction && !HEALTH_VERBS.has(verb.toLowerCase())) {
        acc.agent = own.name;
        return this.finish(acc, normalizeReply({ status: 'error', ...own.unknownAction(verb, req.params) }), 'UNKNOWN_ACTION');
      }
      if (verb === 'suite.describe') {
        acc.action = 'suite.describe';
        return this.finish(acc, describeSuite(suite, this.opts.router));
      }
      if (HEALTH_VERBS.has(verb.toLowerCase())) {
        acc.action = verb.toLowerCase();
        return this.finish(acc, await this.opts.health());
      }
      return this.fail(acc, 'UNKNOWN_ACTION', { action: verb });
    }
    acc.agent = routed.agent.name;
    acc.action = routed.action;

    if (this.inFlight >= limits.maxInFlight) {
      metrics.busRejected.inc({ suite, reason: 'busy' });
      return this.fail(acc, 'BUSY', { inflight: this.inFlight, limit: limits.maxInFlight });
    }

    const validation = validateParams(routed.def.params, req.params, routed.action);
    if (!validation.ok) {
      const legacy = routed.def.onInvalid?.({ field: validation.field, details: validation.details });
      const reply = legacy ? normalizeReply({ status: 'error', ...legacy }) : errorReply(validation.error.message, { code: 'INVALID_PARAMS' });
      return this.finish(acc, reply, 'INVALID_PARAMS');
    }
    const params = validation.value;

    const timeoutMs = routed.def.timeoutMs ?? limits.requestTimeoutMs;
    this.inFlight++;
    const requestId = req.requestId;
    const ctx = new HandlerContext(
      this.aborts,
      suite,
      routed.agent.name,
      routed.action,
      requestId,
      req.raw,
      this.opts.log,
      streamSend ? async (chunk: Reply) => streamSend(withRequestId({ ...chunk, stream: 'chunk' }, requestId)) : undefined,
    );
    let cancelDeadline: (() => void) | undefined;
    try {
      const reply = await new Promise<unknown>((resolve, reject) => {
        cancelDeadline = this.deadlines.add(timeoutMs, () => {
          const err = new SuiteError('TIMEOUT', { ms: timeoutMs, action: routed!.action });
          ctx.abort(err);
          reject(err);
        });
        try {
          Promise.resolve(routed!.def.handler(params as never, ctx)).then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
      return this.finish(acc, normalizeReply(reply));
    } catch (err) {
      if (err instanceof SuiteError) {
        if (err.code === 'TIMEOUT') {
          this.opts.errors.report({ error_type: 'timeout', message: err.message, severity: 'warning', agent: routed.agent.name, details: { action: routed.action } });
        }
        return this.finish(acc, errorReply(err.message, { code: err.code, ...(err.extra ?? {}) }), err.code);
      }
      const message = err instanceof Error ? err.message : String(err);
      this.opts.errors.report({
        error_type: 'handler_exception',
        message,
        severity: 'error',
        agent: routed.agent.name,
        details: { action: routed.action, request_id: req.requestId, stack: err instanceof Error ? err.stack?.split('\n').slice(0, 6).join('\n') : undefined },
      });
      return this.finish(acc, errorReply(message), 'HANDLER_FAILED');
    } finally {
      cancelDeadline?.();
      ctx.release();
      this.inFlight--;
    }
  }

  /** Refuses new work, aborts what is running after `graceMs`, resolves when nothing is in flight. */
  async drain(graceMs = 5000): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // A handler that first reads ctx.signal after this point gets it already aborted.
    const reason = (this.aborts.shutdownReason = new SuiteError('SHUTTING_DOWN'));
    for (const c of this.aborts.signals) c.abort(reason);
    this.replies.clear();
  }
}

/** Metric labels of one request, filled in as routing learns them. */
class Accounting {
  readonly started = process.hrtime.bigint();
  action = 'unknown';
  constructor(public agent: string) {}
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Failures always carry both `message` and `error` with the same text (§4.4). */
function normalizeReply(reply: unknown): unknown {
  if (reply === undefined) return { status: 'success' };
  if (!isObject(reply) || reply.status !== 'error') return reply;
  const text = reply.message ?? reply.error;
  if (typeof text !== 'string') return reply;
  return { ...reply, message: reply.message ?? text, error: reply.error ?? text };
}

function withRequestId(reply: unknown, requestId: string | undefined): unknown {
  if (requestId === undefined || !isObject(reply) || 'request_id' in reply) return reply;
  return { ...reply, request_id: requestId };
}

function dedupKeyOf(requestId: string, body: Buffer): string {
  return requestId + ':' + createHash('sha1').update(body).digest('base64');
}

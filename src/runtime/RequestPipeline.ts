import { createHash } from 'node:crypto';
import type { Reply } from './Agent.js';
import { HandlerContext } from './HandlerContext.js';
import type { AgentRouter, RoutedAction } from './AgentRouter.js';
import { HEALTH_VERBS } from './AgentRouter.js';
import type { ErrorReporter } from './ErrorBusPublisher.js';
import { storageFaultCount } from '../stores/sqlite/storageFaults.js';
import { SuiteError, errorKind, errorReply, formatError, replyCode, type ErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import { normalizeRequest, type NormalizedRequest } from './normalizeRequest.js';
import { unknownFields } from './unknownFields.js';
import type { SuiteMetrics } from './SuiteMetrics.js';
import { validateParams } from './validateParams.js';
import { CodecError, detectCodec, jsonCodec, type Codec } from '../transport/codec/index.js';
import type { IncomingFrame } from '../transport/RouterServer.js';
import { ReplyCache } from './ReplyCache.js';
import { describeSuite } from './describeSuite.js';
import { DeadlineSweeper } from './DeadlineSweeper.js';
import { unknownActionHelp } from './nearestActions.js';
import { durableBarrier } from '../stores/sqlite/GroupCommit.js';
import { CHECK_REPLIES, isObject, isThenable, normalizeReply, replyDrift, storageFullAnswer, withRequestId } from './replyShaping.js';

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
  /**
   * For a write action, the fields it takes and the envelope keys any request may carry; undefined
   * for other actions. A write whose request carries anything else is refused (UNKNOWN_FIELD).
   */
  writeFields?: (agent: string, action: string) => { fields: ReadonlySet<string>; envelope: ReadonlySet<string> } | undefined;
}

/**
 * One request from frame to reply: size check → decode → normalise → (gate) → route → validate →
 * handler (under its deadline when it returns a promise) → reply conventions → durable barrier →
 * encode like the request. Every frame gets exactly one final reply, whatever happens on the way.
 * Each step answers synchronously when it can: a request whose handler returns a value is replied
 * to before handleFrame returns, with no promise allocated on the way (the hub's hot path).
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
    this.process(frame, fixedAgent);
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

  /**
   * Decodes, answers and replies. Synchronous as far as the answer is (a cache hit is sent before
   * this returns); never throws: a bug on the way (handlers' errors are caught in settle()) still
   * gets one reply.
   */
  private process(frame: IncomingFrame, fixedAgent?: string): void {
    try {
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
          earlier.then((reply) => this.send(frame, codec, withRequestId(reply, req.requestId)), (err: unknown) => this.internalError(frame, err));
          return;
        }
      }

      const streamSend = streamAllowed ? (v: unknown) => this.send(frame, codec, v) : undefined;
      const work = this.answer(req, frame, fixedAgent, streamSend);
      if (dedupKey) this.replies.set(dedupKey, Promise.resolve(work));
      if (isThenable(work)) {
        work.then((reply) => this.send(frame, codec, withRequestId(reply, req.requestId)), (err: unknown) => this.internalError(frame, err));
      } else {
        this.send(frame, codec, withRequestId(work, req.requestId));
      }
    } catch (err) {
      this.internalError(frame, err);
    }
  }

  private internalError(frame: IncomingFrame, err: unknown): void {
    this.opts.log.error({ err }, 'request pipeline failed');
    this.send(frame, jsonCodec, errorReply(`internal error: ${err instanceof Error ? err.message : String(err)}`));
  }

  /**
   * Holds a reply until the group-commit batches open now are on disk (GroupCommit.ts): a write
   * is acknowledged only once durable. A batch that failed to commit turns the reply into an error:
   * STORAGE_FULL when the disk was full (the COMMIT is a guarded write, storageFaults.ts), else
   * NOT_DURABLE.
   */
  private afterCommit(reply: unknown): unknown {
    const barrier = durableBarrier();
    if (!barrier) return reply;
    return barrier.then(
      () => reply,
      (err: Error) => {
        const full = (err as { code?: unknown }).code === 'STORAGE_FULL';
        const code = full ? 'STORAGE_FULL' : 'NOT_DURABLE';
        this.opts.metrics.errors.inc({ suite: this.opts.suite, agent: 'none', action: 'commit', code, kind: errorKind(code) });
        this.opts.errors.report({ error_type: code, message: err.message, severity: 'error', details: { code, action: 'commit' } });
        return full
          ? errorReply(err.message, { code, retryable: true })
          : errorReply(formatError('NOT_DURABLE', { error: err.message }), { code });
      },
    );
  }

  /** Counts one answered request in the metrics; the reply, once durable (afterCommit). */
  private finish(acc: Accounting, reply: unknown, code?: string): unknown {
    const isError = code !== undefined || (isObject(reply) && reply.status === 'error');
    const stats = this.opts.metrics.forAction(acc.agent, acc.action);
    if (isError) {
      stats.error++;
      // A handler's own error reply may name its code (PATH_NOT_ALLOWED, NOT_FOUND, ...).
      const label = code ?? replyCode(reply) ?? 'HANDLER_ERROR';
      this.opts.metrics.errors.inc({ suite: this.opts.suite, agent: acc.agent, action: acc.action, code: label, kind: errorKind(label) });
    } else stats.ok++;
    stats.observe((performance.now() - acc.started) / 1000);
    return this.afterCommit(reply);
  }

  /**
   * A failure a handler decided (an unknown model, a refused path, a missing record) answers with a
   * `code`; it goes to the error bus under that code so `errors tail` shows what users ran into.
   * Refusals made before any handler ran (unknown action, bad fields, busy) are only counted.
   */
  private reportCodedFailure(reply: unknown, agent: string, action: string, requestId: string | undefined): void {
    if (!isObject(reply) || typeof reply.code !== 'string' || String(reply.status).toLowerCase() !== 'error') return;
    const message = String(reply.message ?? reply.error ?? reply.error_message ?? reply.code);
    this.opts.errors.report({ error_type: reply.code, message, severity: 'warning', agent, details: { code: reply.code, action, request_id: requestId } });
  }

  private fail(acc: Accounting, code: ErrorCode, vars: Record<string, unknown> = {}): unknown {
    return this.finish(acc, errorReply(formatError(code, vars), { code }), code);
  }

  /**
   * The reply to one request, or a promise of it. Every step that can answer at once does, so a
   * request whose handler returns a value (a cache hit, a status) allocates no promise here.
   */
  private answer(
    req: NormalizedRequest,
    frame: IncomingFrame,
    fixedAgent: string | undefined,
    streamSend: ((v: unknown) => void) | undefined,
  ): unknown {
    const acc = new Accounting(fixedAgent ?? 'none');
    if (this.draining) return this.fail(acc, 'SHUTTING_DOWN');
    const gate = this.opts.gate;
    return gate ? this.gated(gate, req, frame, fixedAgent, streamSend, acc) : this.route(req, fixedAgent, streamSend, acc);
  }

  private async gated(
    gate: RequestGate,
    req: NormalizedRequest,
    frame: IncomingFrame,
    fixedAgent: string | undefined,
    streamSend: ((v: unknown) => void) | undefined,
    acc: Accounting,
  ): Promise<unknown> {
    const { metrics, suite } = this.opts;
    try {
      const refusal = await gate(req, frame);
      if (refusal) {
        metrics.busRejected.inc({ suite, reason: String(refusal.code ?? 'gate') });
        return this.finish(acc, refusal, String(refusal.code ?? 'UNAUTHORIZED'));
      }
    } catch (err) {
      return this.finish(acc, errorReply(`unauthorized: ${(err as Error).message}`, { code: 'UNAUTHORIZED' }), 'UNAUTHORIZED');
    }
    return this.route(req, fixedAgent, streamSend, acc);
  }

  /** Finds the handler, checks the request against it and calls it (or answers why not). */
  private route(
    req: NormalizedRequest,
    fixedAgent: string | undefined,
    streamSend: ((v: unknown) => void) | undefined,
    acc: Accounting,
  ): unknown {
    const { metrics, suite, limits } = this.opts;
    const verb = req.action ?? this.opts.inferAction?.(req.params);
    // Legacy BaseAgent answered a request without a verb as "Unknown action: None" (a vector pins
    // that text); the hint says what is actually wrong.
    if (!verb) {
      const reply = errorReply(formatError('UNKNOWN_ACTION', { action: 'None' }), { code: 'MISSING_ACTION', hint: formatError('MISSING_ACTION') });
      return this.finish(acc, reply, 'MISSING_ACTION');
    }
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
        const help = unknownActionHelp(verb, this.opts.router.actionsOf(own.name));
        return this.finish(acc, normalizeReply({ status: 'error', ...help, ...own.unknownAction(verb, req.params) }), 'UNKNOWN_ACTION');
      }
      if (verb === 'suite.describe') {
        acc.action = 'suite.describe';
        return this.finish(acc, describeSuite(suite, this.opts.router));
      }
      if (HEALTH_VERBS.has(verb.toLowerCase())) {
        acc.action = verb.toLowerCase();
        return this.opts.health().then((health) => this.finish(acc, health));
      }
      const known = own ? this.opts.router.actionsOf(own.name) : [...this.opts.router.actionTable().map((a) => a.action), ...HEALTH_VERBS, 'suite.describe'];
      const reply = errorReply(formatError('UNKNOWN_ACTION', { action: verb }), { code: 'UNKNOWN_ACTION', ...unknownActionHelp(verb, known) });
      return this.finish(acc, reply, 'UNKNOWN_ACTION');
    }
    acc.agent = routed.agent.name;
    acc.action = routed.action;

    if (this.inFlight >= limits.maxInFlight) {
      metrics.busRejected.inc({ suite, reason: 'busy' });
      return this.fail(acc, 'BUSY', { inflight: this.inFlight, limit: limits.maxInFlight });
    }

    const write = this.opts.writeFields?.(routed.agent.name, routed.action);
    if (write) {
      // A field the action does not take would be dropped while the reply says "success".
      const unknown = unknownFields(req.raw, write.fields, write.envelope);
      if (unknown.length) {
        const fields = unknown.map((u) => `'${u.field}'${u.where === 'top level' ? '' : ` (under ${u.where})`}`).join(', ');
        return this.fail(acc, 'UNKNOWN_FIELD', { action: routed.action, fields, known: [...write.fields].sort().join(', ') || 'no fields' });
      }
    }

    const validation = validateParams(routed.def.params, req.params, routed.action);
    if (!validation.ok) {
      const legacy = routed.def.onInvalid?.({ field: validation.field, details: validation.details });
      const reply = legacy ? normalizeReply({ status: 'error', ...legacy }) : errorReply(validation.error.message, { code: 'INVALID_PARAMS' });
      return this.finish(acc, reply, 'INVALID_PARAMS');
    }
    return this.invoke(routed, validation.value, req, streamSend, acc);
  }

  /** Calls the handler: a value settles at once, a promise under the action's deadline. */
  private invoke(
    routed: RoutedAction,
    params: unknown,
    req: NormalizedRequest,
    streamSend: ((v: unknown) => void) | undefined,
    acc: Accounting,
  ): unknown {
    const timeoutMs = routed.def.timeoutMs ?? this.opts.limits.requestTimeoutMs;
    this.inFlight++;
    const requestId = req.requestId;
    const ctx = new HandlerContext(
      this.aborts,
      this.opts.suite,
      routed.agent.name,
      routed.action,
      requestId,
      req.raw,
      this.opts.log,
      streamSend ? async (chunk: Reply) => streamSend(withRequestId({ ...chunk, stream: 'chunk' }, requestId)) : undefined,
    );
    acc.faultsBefore = storageFaultCount();
    let out: unknown;
    try {
      out = routed.def.handler(params as never, ctx);
    } catch (err) {
      return this.settle(routed, ctx, acc, requestId, err, true);
    }
    if (!isThenable(out)) return this.settle(routed, ctx, acc, requestId, out, false);
    return this.underDeadline(out, timeoutMs, ctx, routed.action).then(
      (reply) => this.settle(routed, ctx, acc, requestId, reply, false),
      (err: unknown) => this.settle(routed, ctx, acc, requestId, err, true),
    );
  }

  /**
   * The end of every request a handler took: its reply checked and counted, or its failure
   * reported and turned into an error reply: `outcome` is the reply, or what was thrown when `failed`.
   */
  private settle(routed: RoutedAction, ctx: HandlerContext, acc: Accounting, requestId: string | undefined, outcome: unknown, failed: boolean): unknown {
    ctx.release();
    this.inFlight--;
    let err = outcome;
    if (!failed) {
      try {
        return this.answered(routed, acc, requestId, outcome);
      } catch (e) {
        err = e;
      }
    }
    if (err instanceof SuiteError) {
      this.opts.errors.report({
        error_type: err.code, message: err.message, severity: 'warning', agent: routed.agent.name,
        details: { code: err.code, action: routed.action, request_id: requestId },
      });
      return this.finish(acc, errorReply(err.message, { code: err.code, ...(err.extra ?? {}) }), err.code);
    }
    const message = err instanceof Error ? err.message : String(err);
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
    this.opts.errors.report({
      error_type: code ?? 'handler_exception',
      message,
      severity: 'error',
      agent: routed.agent.name,
      details: { code: code ?? 'HANDLER_FAILED', action: routed.action, request_id: requestId, stack: err instanceof Error ? err.stack?.split('\n').slice(0, 6).join('\n') : undefined },
    });
    return this.finish(acc, errorReply(message, code ? { code } : {}), code ?? 'HANDLER_FAILED');
  }

  private answered(routed: RoutedAction, acc: Accounting, requestId: string | undefined, reply: unknown): unknown {
    if (CHECK_REPLIES && routed.def.reply) {
      const drift = replyDrift(routed.def.reply, reply);
      if (drift) {
        this.opts.log.error({ action: routed.action, drift }, 'reply does not match its published contract');
        return this.finish(acc, errorReply(`reply of ${routed.action} does not match its contract: ${drift}`, { code: 'REPLY_CONTRACT' }), 'REPLY_CONTRACT');
      }
    }
    const answered = storageFullAnswer(normalizeReply(reply), acc.faultsBefore);
    this.reportCodedFailure(answered, routed.agent.name, routed.action, requestId);
    return this.finish(acc, answered);
  }

  /** Settles with the handler's promise, or rejects with TIMEOUT (and aborts ctx) when it is late. */
  private underDeadline(work: PromiseLike<unknown>, timeoutMs: number, ctx: HandlerContext, action: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const cancel = this.deadlines.add(timeoutMs, () => {
        const err = new SuiteError('TIMEOUT', { ms: timeoutMs, action });
        ctx.abort(err);
        reject(err);
      });
      work.then(
        (v) => {
          cancel();
          resolve(v);
        },
        (err: unknown) => {
          cancel();
          reject(err);
        },
      );
    });
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
  readonly started = performance.now();
  action = 'unknown';
  /** storageFaultCount() when the handler was called (a full disk during it changes the reply). */
  faultsBefore = 0;
  constructor(public agent: string) {}
}

function dedupKeyOf(requestId: string, body: Buffer): string {
  return requestId + ':' + createHash('sha1').update(body).digest('base64');
}

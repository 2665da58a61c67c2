import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { AgentRouter } from './AgentRouter.js';
import { buildHealth } from './buildHealth.js';
import { ErrorBusPublisher } from './ErrorBusPublisher.js';
import { createLogger, type Logger } from './logger.js';
import { DEFAULT_LIMITS, RequestPipeline, type PipelineLimits, type RequestGate } from './RequestPipeline.js';
import type { Suite, SuiteContext, SuiteFactory } from './Suite.js';
import { SuiteMetrics } from './SuiteMetrics.js';
import { startHttpStatusServer } from './HttpStatusServer.js';
import { PACKAGE_VERSION } from './version.js';
import { limitsFromConfig } from './limitsFromConfig.js';
import { RouterServer, type CurveServerKeys, type IncomingFrame } from '../transport/RouterServer.js';
import { jsonCodec, detectCodec } from '../transport/codec/index.js';
import { gateFromConfig, type BuiltGate } from './security/gateFromConfig.js';
import { ZapAuthenticator } from './security/ZapAuthenticator.js';
import { legacyHealthReply } from './legacyHealth.js';
import { schemaKeys } from './unknownFields.js';
import { ENVELOPE_FIELDS, WRITE_ACTIONS } from '../../contracts/writeActions.js';
import { planLegacyListeners, type PortOwner } from './legacyListeners.js';
import { PairMap } from '../util/PairMap.js';

export interface SuiteHostOptions {
  name: string;
  /** Sub-folder of dataRoot for this suite's state. */
  slug: string;
  factory: SuiteFactory;
  port: number;
  healthPort: number;
  /** HTTP /metrics /health /version; 0 or undefined disables it. */
  metricsPort?: number;
  bindAddress: string;
  config?: Record<string, unknown>;
  legacyPorts?: boolean;
  portOffset?: number;
  dataRoot: string;
  redisUrl?: string;
  redisKeyPrefix?: string;
  errorBusEndpoint?: string;
  /** Suite name → tcp:// main endpoint of suites in other processes or machines. */
  peers?: Record<string, string>;
  limits?: Partial<PipelineLimits>;
  gate?: RequestGate;
  /** CURVE server keys (SECURE_ZMQ=1); only clients whose public key is listed get in. */
  curve?: CurveServerKeys & { authorizedClients: Iterable<string> };
  log?: Logger;
  /** Ports of the other suites (and the error bus) on this machine, which legacy health ports must not take. */
  reservedPorts?: PortOwner[];
  /** Echoed as `instance_id` in the health object (the launcher's per-spawn id). */
  instanceId?: string;
  /** Awaited after the health socket is up and before the suite starts (the launcher's dependency order). */
  beforeSuiteStart?: () => Promise<void>;
}

/**
 * Runs one suite in this process: health socket and HTTP status first (so probes see
 * "initializing" while the suite loads), then suite.start(), then the agents on the main ROUTER
 * socket and, when configured, on their legacy ports.
 */
export class SuiteHost {
  readonly log: Logger;
  readonly metrics: SuiteMetrics;
  readonly router = new AgentRouter();
  readonly errors: ErrorBusPublisher;
  private readonly pipeline: RequestPipeline;
  private suite?: Suite;
  private readonly servers: RouterServer[] = [];
  private healthServer?: RouterServer;
  private http?: Server;
  private initialized = false;
  private readonly startedAt = Date.now();
  private closing?: Promise<void>;
  private readonly gate: BuiltGate;
  private zap?: ZapAuthenticator;
  readonly dataDir: string;
  /** agent + action → fields of each write action (contracts/writeActions.ts), built at start. */
  private readonly writeFields = new PairMap<{ fields: ReadonlySet<string>; envelope: ReadonlySet<string> }>();

  constructor(readonly opts: SuiteHostOptions) {
    this.log = opts.log ?? createLogger(opts.name);
    this.metrics = new SuiteMetrics(opts.name);
    this.errors = new ErrorBusPublisher({
      endpoint: opts.errorBusEndpoint,
      source: opts.name,
      log: this.log,
      counter: this.metrics.errorReports,
    });
    const limits: PipelineLimits = { ...DEFAULT_LIMITS, ...limitsFromConfig(opts.config), ...(opts.limits ?? {}) };
    this.gate = opts.gate ? { gate: opts.gate, close() {} } : gateFromConfig(opts.config, this.log);
    this.pipeline = new RequestPipeline({
      suite: opts.name,
      router: this.router,
      limits,
      metrics: this.metrics,
      errors: this.errors,
      log: this.log,
      health: () => this.health(),
      gate: this.gate.gate,
      inferAction: (params) => this.suite?.inferAction(params),
      writeFields: (agent, action) => this.writeFields.get(agent, action),
    });
    this.dataDir = join(opts.dataRoot, opts.slug);
  }

  get instance(): Suite | undefined {
    return this.suite;
  }

  endpoint(host = this.opts.bindAddress): string {
    return `tcp://${connectHost(host)}:${this.opts.port}`;
  }

  health(): Promise<Record<string, unknown>> {
    return buildHealth({
      suite: this.opts.name,
      startedAt: this.startedAt,
      initialized: this.initialized,
      instance: this.suite,
      router: this.router,
      inFlight: () => this.pipeline.inFlightCount,
      ports: { main: this.opts.port, health: this.opts.healthPort, metrics: this.opts.metricsPort ?? 0 },
      version: PACKAGE_VERSION,
      instanceId: this.opts.instanceId,
    });
  }

  async start(): Promise<void> {
    const { opts } = this;
    const bind = (port: number) => `tcp://${opts.bindAddress}:${port}`;
    try {
      if (opts.curve) this.zap = await ZapAuthenticator.ensure(opts.curve.authorizedClients, this.log);
      this.healthServer = await RouterServer.listen({
        endpoint: bind(opts.healthPort),
        log: this.log,
        curve: opts.curve,
        onFrame: (frame) => {
          // Any frame, JSON or not, gets the health object (§1.4); msgpack requests get msgpack.
          const codec = frame.body.length ? detectCodec(frame.body) : jsonCodec;
          this.health().then(
            (h) => frame.reply(codec.encode(h)),
            (err: Error) => frame.reply(jsonCodec.encode({ status: 'error', error: err.message, message: err.message })),
          );
        },
      });
      if (opts.metricsPort) {
        this.http = await startHttpStatusServer({
          host: opts.bindAddress,
          port: opts.metricsPort,
          registry: this.metrics.registry,
          health: () => this.health(),
          version: () => ({ name: 'agent-suites', version: PACKAGE_VERSION, suite: opts.name, node: process.version }),
        });
      }
      await opts.beforeSuiteStart?.();
      mkdirSync(this.dataDir, { recursive: true });
      const ctx: SuiteContext = {
        name: opts.name,
        config: Object.freeze({ ...(opts.config ?? {}) }),
        dataDir: this.dataDir,
        redisUrl: opts.redisUrl,
        redisKeyPrefix: opts.redisKeyPrefix ?? '',
        portOffset: opts.portOffset ?? 0,
        ports: { main: opts.port, health: opts.healthPort },
        log: this.log,
        metrics: this.metrics.registry,
        errors: this.errors,
        peerEndpoint: (name) => opts.peers?.[name],
      };
      this.suite = opts.factory(ctx);
      await this.suite.start();
      for (const agent of this.suite.agents()) this.router.register(agent);
      this.router.addCollisionRules(this.suite.collisions());
      this.indexWriteActions();
      for (const problem of this.router.verify()) this.log.warn(problem);

      this.servers.push(
        await RouterServer.listen({
          endpoint: bind(opts.port),
          log: this.log,
          curve: opts.curve,
          onFrame: (frame) => this.pipeline.handleFrame(frame),
        }),
      );
      if (opts.legacyPorts) await this.bindLegacyPorts(bind);
      this.initialized = true;
      this.log.info({ port: opts.port, health: opts.healthPort, metrics: opts.metricsPort }, `${opts.name} ready`);
    } catch (err) {
      await this.close().catch(() => {});
      throw err;
    }
  }

  /** Reads the write audit table for this suite's agents (schema keys plus listed extra fields). */
  private indexWriteActions(): void {
    for (const { agent, action, def } of this.router.definitions()) {
      const spec = WRITE_ACTIONS[agent.name]?.[action];
      const keys = spec && schemaKeys(def.params);
      if (!spec || spec.open || !keys) continue;
      this.writeFields.set(agent.name, action, { fields: new Set([...keys, ...(spec.fields ?? [])]), envelope: ENVELOPE_FIELDS });
    }
  }

  /**
   * Binds each old agent's main port (all its traffic to that agent) and health port (any frame
   * gets that agent's legacy health reply); a health port whose number is already a suite's port is
   * skipped with one log line naming both (planLegacyListeners).
   */
  private async bindLegacyPorts(bind: (port: number) => string): Promise<void> {
    const { opts } = this;
    const agents = this.router.listAgents();
    const own: PortOwner[] = [
      { port: opts.port, what: `${opts.name} main` },
      { port: opts.healthPort, what: `${opts.name} health` },
      ...(opts.metricsPort ? [{ port: opts.metricsPort, what: `${opts.name} metrics` }] : []),
    ];
    const plan = planLegacyListeners(
      agents.map((a) => ({ name: a.name, port: a.legacyPort, healthPort: a.legacyHealthPort })),
      opts.portOffset ?? 0, [...own, ...(opts.reservedPorts ?? [])],
    );
    for (const s of plan.skipped) {
      this.log.warn({ agent: s.agent, port: s.port }, `legacy health port ${s.port} of ${s.agent} not bound: it is ${s.clashesWith}`);
    }
    for (const l of plan.listeners) {
      const agent = agents.find((a) => a.name === l.agent)!;
      const onFrame = l.kind === 'main'
        ? (frame: IncomingFrame) => this.pipeline.handleFrame(frame, agent.name)
        : (frame: IncomingFrame) => {
          const codec = frame.body.length ? detectCodec(frame.body) : jsonCodec;
          this.health().then((h) => legacyHealthReply(agent, h)).then(
            (h) => frame.reply(codec.encode(h)),
            (err: Error) => frame.reply(jsonCodec.encode({ status: 'error', error: err.message, message: err.message })),
          );
        };
      this.servers.push(
        await RouterServer.listen({ endpoint: bind(l.port), log: this.log, curve: opts.curve, onFrame }).catch((err: Error) => {
          throw new Error(`legacy ${l.kind === 'main' ? '' : 'health '}port ${l.port} for ${agent.name}: ${err.message} (is the old agent still running?)`);
        }),
      );
    }
  }

  /** Graceful stop: refuse new work, let running requests finish (up to graceMs), close everything. */
  close(graceMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      const steps: Array<() => Promise<unknown> | unknown> = [
        () => this.pipeline.drain(graceMs),
        ...this.servers.map((s) => () => s.close()),
        () => this.suite?.close(),
        () => this.healthServer?.close(),
        () => new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r())),
        () => this.http?.closeAllConnections?.(),
        () => this.errors.close(),
        () => this.gate.close(),
        () => this.zap?.release(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          this.log.error({ err }, 'shutdown step failed');
        }
      }
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A bind address of 0.0.0.0 / * is reachable locally as 127.0.0.1. */
export function connectHost(host: string): string {
  return host === '0.0.0.0' || host === '*' || host === '' ? '127.0.0.1' : host;
}

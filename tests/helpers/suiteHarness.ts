import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Request } from 'zeromq';
import { Redis } from 'ioredis';
import { SuiteHost, type SuiteHostOptions } from '../../src/runtime/SuiteHost.js';
import { findSuite, type SuiteDescriptor } from '../../src/suites/registry.js';
import { ZmqClient } from '../../src/transport/ZmqClient.js';
import { detectCodec, jsonCodec, msgpackCodec } from '../../src/transport/codec/index.js';
import { createLogger } from '../../src/runtime/logger.js';
import { freePorts, legacyPortOffset } from './ports.js';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface StartOptions {
  config?: Record<string, unknown>;
  /** Reuse a data folder (restart tests); a fresh temp folder otherwise, removed on close. */
  dataDir?: string;
  /** Redis URL; `false` for none. Defaults to the real local Redis. */
  redisUrl?: string | false;
  redisKeyPrefix?: string;
  legacyPorts?: boolean;
  /**
   * Shift for the agents' legacy ports. `'random'` draws a fresh offset on every bind attempt that
   * keeps all legacy ports inside 10000–31999 (below the ephemeral range); the one used is on
   * the returned `portOffset`.
   */
  portOffset?: number | 'random';
  errorBusEndpoint?: string;
  peers?: Record<string, string>;
  limits?: SuiteHostOptions['limits'];
  gate?: SuiteHostOptions['gate'];
  descriptor?: SuiteDescriptor;
  metrics?: boolean;
}

export interface TestSuite {
  readonly host: SuiteHost;
  readonly endpoint: string;
  readonly healthEndpoint: string;
  readonly metricsUrl: string;
  readonly dataDir: string;
  readonly redisKeyPrefix: string;
  /** The legacy-port offset this suite was started with. */
  readonly portOffset: number;
  /** One request over a fresh legacy-style REQ socket (JSON unless msgpack is set). */
  call(req: unknown, opts?: { timeoutMs?: number; msgpack?: boolean; endpoint?: string }): Promise<any>;
  /** Sends raw bytes as the single frame over REQ and decodes the reply. */
  callRaw(frame: Buffer | string, opts?: { timeoutMs?: number; endpoint?: string }): Promise<any>;
  callHealth(frame?: Buffer | string): Promise<any>;
  /** A DEALER client for concurrency and streaming tests (closed with the suite). */
  dealer(opts?: { timeoutMs?: number; msgpack?: boolean }): ZmqClient;
  metricsText(): Promise<string>;
  /** Stops the suite; the data folder is kept when `keepData` (restart tests). */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

/** One REQ round trip with a receive timeout; the socket is always closed. */
export async function reqOnce(endpoint: string, frame: Buffer, timeoutMs = 5000): Promise<Buffer> {
  const sock = new Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
  try {
    sock.connect(endpoint);
    await sock.send(frame);
    const [reply] = await sock.receive();
    return reply!;
  } finally {
    sock.close();
  }
}

function decode(buf: Buffer): any {
  return detectCodec(buf).decode(buf);
}

/**
 * Runs a suite in this process on free loopback ports, with a temp DATA_DIR and a Redis key
 * prefix of its own, so test files can run side by side. Retries on a port race.
 */
export async function startTestSuite(name: string, opts: StartOptions = {}): Promise<TestSuite> {
  const desc = opts.descriptor ?? findSuite(name);
  if (!desc) throw new Error(`unknown suite ${name}`);
  const factory = await desc.load();
  const ownData = !opts.dataDir;
  const dataRoot = opts.dataDir ?? mkdtempSync(join(tmpdir(), `as-${desc.slug}-`));
  const redisKeyPrefix = opts.redisKeyPrefix ?? `test:${randomBytes(6).toString('hex')}:`;
  const redisUrl = opts.redisUrl === false ? undefined : (opts.redisUrl ?? TEST_REDIS_URL);
  const log = createLogger(desc.name, { test: true });
  let host: SuiteHost | undefined;
  let lastErr: unknown;
  for (let attempt = 0; attempt < 6 && !host; attempt++) {
    const [port, healthPort, metricsPort] = await freePorts(3);
    const portOffset = opts.portOffset === 'random' ? legacyPortOffset() : (opts.portOffset ?? 0);
    const candidate = new SuiteHost({
      name: desc.name,
      slug: desc.slug,
      factory,
      port: port!,
      healthPort: healthPort!,
      metricsPort: opts.metrics === false ? 0 : metricsPort!,
      bindAddress: '127.0.0.1',
      // Tests run short request timeouts against a ready llama.cpp; the lazy default has its own test.
      config: desc.name === 'ModelManagerSuite' ? { llama_init: 'start', ...(opts.config ?? {}) } : (opts.config ?? {}),
      legacyPorts: opts.legacyPorts ?? false,
      portOffset,
      dataRoot,
      redisUrl,
      redisKeyPrefix,
      errorBusEndpoint: opts.errorBusEndpoint,
      peers: opts.peers,
      limits: opts.limits,
      gate: opts.gate,
      log,
    });
    try {
      await candidate.start();
      host = candidate;
    } catch (err) {
      lastErr = err;
      if (!/cannot bind|EADDRINUSE|in use/i.test(String((err as Error).message))) break;
    }
  }
  if (!host) {
    // A suite that refused to start (bad config tests) must not leave its temp folder behind.
    if (ownData) rmSync(dataRoot, { recursive: true, force: true });
    throw lastErr;
  }
  const h = host;
  const endpoint = `tcp://127.0.0.1:${h.opts.port}`;
  const healthEndpoint = `tcp://127.0.0.1:${h.opts.healthPort}`;
  const metricsUrl = `http://127.0.0.1:${h.opts.metricsPort}`;
  const dealers: ZmqClient[] = [];

  return {
    host: h,
    portOffset: h.opts.portOffset ?? 0,
    endpoint,
    healthEndpoint,
    metricsUrl,
    dataDir: dataRoot,
    redisKeyPrefix,
    async call(req, o = {}) {
      const codec = o.msgpack ? msgpackCodec : jsonCodec;
      return decode(await reqOnce(o.endpoint ?? endpoint, codec.encode(req), o.timeoutMs));
    },
    async callRaw(frame, o = {}) {
      return decode(await reqOnce(o.endpoint ?? endpoint, Buffer.from(frame as string), o.timeoutMs));
    },
    async callHealth(frame = '{"action":"health_check"}') {
      return decode(await reqOnce(healthEndpoint, Buffer.from(frame as string)));
    },
    dealer(o = {}) {
      const c = new ZmqClient(endpoint, { timeoutMs: o.timeoutMs ?? 5000, msgpack: o.msgpack });
      dealers.push(c);
      return c;
    },
    async metricsText() {
      const res = await fetch(`${metricsUrl}/metrics`);
      return res.text();
    },
    async close(o = {}) {
      for (const d of dealers) d.close();
      await h.close();
      if (redisUrl) await deleteRedisPrefix(redisUrl, redisKeyPrefix).catch(() => {});
      if (ownData && !o.keepData) rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}

/** Removes every key a test wrote (db 0–2) so the shared Redis stays clean. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  if (!prefix) return;
  for (const db of [0, 1, 2]) {
    const r = new Redis(url, { db, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    r.on('error', () => {}); // a dead Redis URL (outage tests) is reported by connect() below
    try {
      await r.connect();
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
    } finally {
      r.disconnect();
    }
  }
}

/**
 * ModelManagerSuite serving the tiny GGUF as `tiny` on CPU, on `dataRoot` (share it with
 * AdaptiveLearningSuite so adapters written there may be registered). `extra` adds config keys.
 */
export async function startTinyModelManager(dataRoot: string, extra: Record<string, unknown> = {}): Promise<TestSuite> {
  const { ensureTinyModel } = await import('../../scripts/makeTinyGguf.js');
  const path = await ensureTinyModel();
  return startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    dataDir: dataRoot,
    config: { gpu: false, budget: { mb: 1000 }, models: [{ id: 'tiny', path, context_size: 256, threads: 1, sequences: 2, estimated_vram_mb: 30 }], ...extra },
  });
}

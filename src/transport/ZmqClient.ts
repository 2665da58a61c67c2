import { Dealer } from 'zeromq';
import { randomUUID } from 'node:crypto';
import { detectCodec, jsonCodec, msgpackCodec, type Codec } from './codec/index.js';
import { SendQueue } from './SendQueue.js';

export interface ZmqClientOptions {
  /** Per-attempt reply timeout (ms). Legacy clients used 5000. */
  timeoutMs?: number;
  /** Extra attempts after a timeout; each one uses a fresh socket (Lazy Pirate). */
  retries?: number;
  /** Encode requests as msgpack instead of JSON. */
  msgpack?: boolean;
  /** CURVE client keys plus the server's public key (Z85). */
  curve?: { publicKey: string; secretKey: string; serverKey: string };
}

export class ZmqTimeoutError extends Error {
  readonly code = 'ETIMEOUT';
  constructor(endpoint: string, ms: number, attempts: number) {
    super(`no reply from ${endpoint} within ${ms} ms (${attempts} attempt${attempts === 1 ? '' : 's'})`);
    this.name = 'ZmqTimeoutError';
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onChunk?: (chunk: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * Request/reply client over one DEALER socket, safe for many concurrent requests. Each request
 * carries a correlation frame and an empty delimiter, so the server treats it like a REQ peer and
 * echoes the correlation frame back. On a timeout the socket is thrown away and a fresh one
 * connected before the retry (the Lazy Pirate pattern from the ZeroMQ guide), which also clears
 * any half-delivered state. Used by the CLI, the tests and suite-to-suite calls.
 */
export class ZmqClient {
  private socket!: Dealer;
  private sendQueue!: SendQueue;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private readonly codec: Codec;
  readonly timeoutMs: number;
  readonly retries: number;

  constructor(readonly endpoint: string, private readonly opts: ZmqClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.retries = opts.retries ?? 0;
    this.codec = opts.msgpack ? msgpackCodec : jsonCodec;
    this.connect();
  }

  private connect(): void {
    const curve = this.opts.curve;
    this.socket = new Dealer({
      linger: 0,
      immediate: false,
      ...(curve ? { curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey } : {}),
    });
    this.socket.connect(this.endpoint);
    this.sendQueue = new SendQueue(this.socket);
    void this.receiveLoop(this.socket);
  }

  private async receiveLoop(socket: Dealer): Promise<void> {
    try {
      for await (const frames of socket) {
        this.onReply(frames as Buffer[]);
      }
    } catch {
      /* socket closed */
    }
  }

  private onReply(frames: Buffer[]): void {
    const body = frames[frames.length - 1]!;
    let value: unknown;
    try {
      value = detectCodec(body).decode(body);
    } catch {
      value = body.toString('utf8');
    }
    // Delimited replies carry our correlation frame; streamed chunks come without it.
    const corr = frames.length >= 3 ? frames[0]!.toString('utf8') : undefined;
    const key = corr ?? (value && typeof value === 'object' ? String((value as Record<string, unknown>).request_id ?? '') : '');
    const p = this.pending.get(key);
    if (!p) return; // late reply to a request that already timed out
    const isChunk = !!(value && typeof value === 'object' && (value as Record<string, unknown>).stream === 'chunk');
    if (isChunk && p.onChunk) {
      p.onChunk(value);
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(key);
    p.resolve(value);
  }

  private attempt(frames: Array<Buffer | string>, key: string, onChunk?: (c: unknown) => void, timeoutMs = this.timeoutMs): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new ZmqTimeoutError(this.endpoint, timeoutMs, 1));
      }, timeoutMs);
      this.pending.set(key, { resolve, reject, onChunk, timer });
      this.sendQueue.send(frames);
    });
  }

  /** Sends one request and resolves with the decoded reply. Objects are encoded with the client's codec. */
  async request(body: unknown, opts: { timeoutMs?: number; retries?: number } = {}): Promise<any> {
    if (this.closed) throw new Error('client is closed');
    const payload = Buffer.isBuffer(body) || typeof body === 'string' ? Buffer.from(body as string) : this.codec.encode(body);
    const retries = opts.retries ?? this.retries;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const corr = randomUUID();
      try {
        return await this.attempt([corr, '', payload], corr, undefined, timeoutMs);
      } catch (err) {
        if (!(err instanceof ZmqTimeoutError) || this.closed) throw err;
        // A fresh socket drops whatever the dead connection still held; only safe when no other
        // request is waiting on this one.
        if (this.pending.size === 0) this.reconnect();
        if (attempt >= retries) throw new ZmqTimeoutError(this.endpoint, timeoutMs, attempt + 1);
      }
    }
  }

  /**
   * Sends a streaming request (no delimiter, so the server may answer several times); chunks
   * (`stream: "chunk"`) go to onChunk and the promise resolves with the final reply.
   */
  async stream(body: Record<string, unknown>, onChunk: (chunk: any) => void, opts: { timeoutMs?: number } = {}): Promise<any> {
    if (this.closed) throw new Error('client is closed');
    const requestId = String(body.request_id ?? randomUUID());
    const payload = this.codec.encode({ ...body, request_id: requestId, stream: true });
    return this.attempt([payload], requestId, onChunk, opts.timeoutMs ?? this.timeoutMs);
  }

  private reconnect(): void {
    this.sendQueue.close();
    this.socket.close();
    for (const [key, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ZmqTimeoutError(this.endpoint, this.timeoutMs, 1));
      this.pending.delete(key);
    }
    if (!this.closed) this.connect();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('client closed'));
    }
    this.pending.clear();
    this.sendQueue.close();
    this.socket.close();
  }
}

/** One-shot helper: connect, send, await, close. */
export async function requestOnce(endpoint: string, body: unknown, opts: ZmqClientOptions = {}): Promise<any> {
  const client = new ZmqClient(endpoint, opts);
  try {
    return await client.request(body);
  } finally {
    client.close();
  }
}

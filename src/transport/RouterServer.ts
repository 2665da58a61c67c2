import { Router } from 'zeromq';
import type { Logger } from '../runtime/logger.js';

export interface IncomingFrame {
  /** The request body (last frame after the envelope). */
  readonly body: Buffer;
  /** Routing identity of the peer (hex), for per-client limits and logs. */
  readonly peerId: string;
  /**
   * True when the peer put an empty delimiter frame in front of the body, as REQ sockets do.
   * Such a peer must get exactly one reply. DEALER peers without a delimiter may get several.
   */
  readonly delimited: boolean;
  /** Sends one reply frame back along the request's envelope. */
  reply(body: Buffer): void;
}

export interface CurveServerKeys {
  publicKey: string;
  secretKey: string;
}

export interface RouterServerOptions {
  /** tcp://host:port endpoints to bind (main port, and a legacy port when configured). */
  readonly endpoint: string;
  readonly onFrame: (frame: IncomingFrame) => void;
  readonly log: Logger;
  /** Hard cap enforced by libzmq (peer disconnected beyond it); the runtime answers below it. */
  readonly hardMaxMessageBytes?: number;
  /** Enables CURVE: the socket acts as a CURVE server with these keys (Z85). */
  readonly curve?: CurveServerKeys;
}

/**
 * A ZMQ ROUTER bound on one endpoint that speaks to legacy REQ clients (identity + empty
 * delimiter + body) and to DEALER clients (identity + body, or identity + correlation frames +
 * delimiter + body) alike: whatever came before the body is echoed back as the reply envelope.
 * The receive loop never awaits a handler.
 *
 * Replies are sent synchronously: with `sendTimeout: 0` zeromq.js hands a message to libzmq at
 * once instead of first polling the socket for writability, and a ROUTER without `mandatory`
 * never blocks (a reply to a peer whose queue is full or who left is dropped, which is all a
 * server can do with it). So no send is ever pending, and the one-send-at-a-time rule of
 * zeromq.js needs no queue here.
 */
export class RouterServer {
  private readonly socket: Router;
  private readonly onSendError: (err: unknown) => void;
  private loop?: Promise<void>;
  private closed = false;

  private constructor(private readonly opts: RouterServerOptions) {
    this.socket = new Router({
      linger: 0,
      mandatory: false,
      sendHighWaterMark: 10_000,
      sendTimeout: 0,
      receiveHighWaterMark: 10_000,
      maxMessageSize: opts.hardMaxMessageBytes ?? 256 * 1024 * 1024,
      ...(opts.curve
        ? { curveServer: true, curveSecretKey: opts.curve.secretKey, curvePublicKey: opts.curve.publicKey, zapDomain: 'agent-suites' }
        : {}),
    });
    this.onSendError = (err) => {
      if (!this.closed) opts.log.debug({ err }, 'reply send failed');
    };
  }

  /** Binds and starts receiving. Rejects (with the endpoint in the message) if the port is taken. */
  static async listen(opts: RouterServerOptions): Promise<RouterServer> {
    const server = new RouterServer(opts);
    try {
      await server.socket.bind(opts.endpoint);
    } catch (err) {
      server.socket.close();
      throw new Error(`cannot bind ${opts.endpoint}: ${(err as Error).message}`);
    }
    server.loop = server.receiveLoop();
    return server;
  }

  get endpoint(): string {
    return this.opts.endpoint;
  }

  private async receiveLoop(): Promise<void> {
    try {
      // receive() itself rather than `for await` over the socket: the async iterator wraps every
      // message in one more async call and a {value, done} object.
      while (!this.closed) this.dispatch((await this.socket.receive()) as Buffer[]);
    } catch (err) {
      if (!this.closed) this.opts.log.error({ err }, 'router receive loop failed');
    }
  }

  private dispatch(frames: Buffer[]): void {
    if (frames.length < 2) return; // identity only: nothing to answer
    let delimiter = -1;
    for (let i = 1; i < frames.length - 1; i++) {
      if (frames[i]!.length === 0) {
        delimiter = i;
        break;
      }
    }
    const frame = new RoutedFrame(this, delimiter >= 0 ? frames.slice(0, delimiter + 1) : [frames[0]!], frames[frames.length - 1]!, delimiter >= 0);
    try {
      this.opts.onFrame(frame);
    } catch (err) {
      this.opts.log.error({ err }, 'frame handler threw synchronously');
    }
  }

  /** Sends one reply along an envelope; called by RoutedFrame. */
  sendReply(envelope: Buffer[], body: Buffer): void {
    if (this.closed) return;
    try {
      this.socket.send([...envelope, body]).catch(this.onSendError);
    } catch (err) {
      // zeromq.js throws synchronously on a socket that is closing.
      this.onSendError(err);
    }
  }

  logSecondReply(peer: Buffer): void {
    // A REQ peer would lock up or drop it; a second reply is a bug upstream.
    this.opts.log.error({ peer: peer.toString('hex') }, 'second reply to a REQ peer suppressed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    await this.loop?.catch(() => {});
  }
}

/** One received request: its envelope is kept so the reply retraces the route. */
class RoutedFrame implements IncomingFrame {
  private replied = false;
  constructor(
    private readonly server: RouterServer,
    private readonly envelope: Buffer[],
    readonly body: Buffer,
    readonly delimited: boolean,
  ) {}

  get peerId(): string {
    return this.envelope[0]!.toString('hex');
  }

  reply(body: Buffer): void {
    if (this.replied && this.delimited) return this.server.logSecondReply(this.envelope[0]!);
    this.replied = true;
    this.server.sendReply(this.envelope, body);
  }
}

import { Router } from 'zeromq';
import type { Logger } from '../logger.js';
import { z85Encode } from './z85.js';

/**
 * ZeroMQ authentication (ZAP, RFC 27) for CURVE: libzmq asks this handler, over the in-process
 * endpoint every socket of the context uses, whether a client key may connect. Only the public
 * keys in `authorized` get status 200; everyone else is refused during the handshake and never
 * reaches a handler. One authenticator serves every CURVE socket of the process.
 */
export class ZapAuthenticator {
  private static instance?: ZapAuthenticator;
  private readonly socket = new Router({ linger: 0 });
  private readonly authorized = new Set<string>();
  private loop?: Promise<void>;
  private closed = false;
  private users = 0;
  denied = 0;

  private constructor(private readonly log: Logger) {}

  /** Starts the process-wide handler (idempotent) and adds keys to its allow list. */
  static async ensure(authorized: Iterable<string>, log: Logger): Promise<ZapAuthenticator> {
    let zap = ZapAuthenticator.instance;
    if (!zap) {
      zap = new ZapAuthenticator(log);
      await zap.socket.bind('inproc://zeromq.zap.01');
      zap.loop = zap.serve();
      ZapAuthenticator.instance = zap;
    }
    for (const k of authorized) zap.authorized.add(k);
    zap.users++;
    return zap;
  }

  /** Called by each user on close; the handler stops with the last one so the process can exit. */
  async release(): Promise<void> {
    if (--this.users > 0) return;
    this.closed = true;
    ZapAuthenticator.instance = undefined;
    this.socket.close();
    await this.loop?.catch(() => {});
  }

  private async serve(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        // [routing id, '', version, request id, domain, address, identity, mechanism, credentials...]
        const [id, , version, requestId, , address, , mechanism, credential] = frames as Buffer[];
        let status = '400';
        let text = 'client key not authorised';
        let user = '';
        if (mechanism?.toString() === 'CURVE' && credential?.length === 32) {
          const key = z85Encode(credential);
          if (this.authorized.has(key)) {
            status = '200';
            text = 'OK';
            user = key;
          }
        }
        if (status !== '200') {
          this.denied++;
          this.log.warn({ address: address?.toString(), mechanism: mechanism?.toString() }, 'CURVE client refused');
        }
        await this.socket.send([id!, Buffer.alloc(0), version ?? Buffer.from('1.0'), requestId ?? Buffer.alloc(0), status, text, user, Buffer.alloc(0)]);
      }
    } catch (err) {
      if (!this.closed) this.log.error({ err }, 'ZAP handler failed');
    }
  }
}

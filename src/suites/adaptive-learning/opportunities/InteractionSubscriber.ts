import { Subscriber } from 'zeromq';
import type { Logger } from '../../../runtime/logger.js';

/**
 * One SUB socket connected to every configured interaction stream (legacy 5701 "UMRA" and 5702
 * RequestCoordinator, learning_suite.md §6.1 / §7.1), feeding both the detector and the active
 * learning monitor, as the spec's consolidation note recommends (§10). Only JSON objects with
 * `type: "interaction"` are used; a topic frame before the JSON is tolerated.
 */
export class InteractionSubscriber {
  private readonly socket = new Subscriber({ linger: 0 });
  private closed = false;
  received = 0;

  constructor(
    private readonly endpoints: string[],
    private readonly onInteraction: (source: string, msg: Record<string, unknown>) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.endpoints.length === 0) return;
    for (const ep of this.endpoints) this.socket.connect(ep);
    this.socket.subscribe();
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const body = frames[frames.length - 1]!.toString('utf8');
        const start = body.indexOf('{');
        if (start < 0) continue;
        let msg: unknown;
        try {
          msg = JSON.parse(body.slice(start));
        } catch {
          continue;
        }
        if (typeof msg !== 'object' || msg === null || (msg as Record<string, unknown>).type !== 'interaction') continue;
        this.received++;
        try {
          this.onInteraction(String((msg as Record<string, unknown>).source ?? 'stream'), msg as Record<string, unknown>);
        } catch (err) {
          this.log.warn({ err }, 'interaction handler failed');
        }
      }
    } catch (err) {
      if (!this.closed) this.log.error({ err }, 'interaction subscriber stopped');
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

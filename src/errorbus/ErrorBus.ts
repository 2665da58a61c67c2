import { join } from 'node:path';
import { XPublisher, XSubscriber } from 'zeromq';
import type { Logger } from '../runtime/logger.js';
import { openDatabase, type SqliteDatabase } from '../stores/sqlite/openDatabase.js';
import { normalizeErrorMessage, type BusError } from './normalizeErrorMessage.js';

export interface ErrorBusOptions {
  /** Publishers connect their PUB here (legacy 7150). */
  xsubPort: number;
  /** Subscribers connect their SUB here (7151). */
  xpubPort: number;
  bindAddress: string;
  /** SQLite file keeping the last errors; undefined keeps nothing. */
  dbFile?: string;
  /** How many errors to keep in SQLite. */
  keep?: number;
  log: Logger;
}

export interface RunningErrorBus {
  readonly received: number;
  recent(limit?: number): BusError[];
  close(): Promise<void>;
}

/** Where a bus started with data root `dataRoot` keeps its errors (launcher and CLI alike). */
export function errorBusDbFile(dataRoot: string): string {
  return join(dataRoot, 'error-bus', 'errors.db');
}

/**
 * The one-machine error bus: an XSUB/XPUB forwarder. Every agent's PUB connects to the XSUB side
 * and every SUB (`agent-suites errors tail`, dashboards) to the XPUB side; subscriptions flow
 * upstream, messages downstream. The bus subscribes to everything itself so it can keep the last
 * errors in SQLite even when nobody is listening.
 */
export async function startErrorBus(opts: ErrorBusOptions): Promise<RunningErrorBus> {
  const xsub = new XSubscriber({ linger: 0 });
  const xpub = new XPublisher({ linger: 0 });
  const bind = (p: number) => `tcp://${opts.bindAddress}:${p}`;
  try {
    await xsub.bind(bind(opts.xsubPort));
    await xpub.bind(bind(opts.xpubPort));
  } catch (err) {
    xsub.close();
    xpub.close();
    throw new Error(`error bus cannot bind ${bind(opts.xsubPort)} / ${bind(opts.xpubPort)}: ${(err as Error).message}`);
  }
  let db: SqliteDatabase | undefined;
  if (opts.dbFile) {
    db = openDatabase(opts.dbFile, 'error-bus');
  }
  const insert = db?.prepare(
    'INSERT INTO errors (received_at, timestamp, agent, error_type, message, severity, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const prune = db?.prepare('DELETE FROM errors WHERE id <= (SELECT MAX(id) FROM errors) - ?');
  const keep = opts.keep ?? 10_000;
  let received = 0;
  let closed = false;
  let upQueue: Promise<void> = Promise.resolve();
  let downQueue: Promise<void> = Promise.resolve();

  // Subscribe to everything upstream; downstream filters happen in XPUB.
  await xsub.send(Buffer.from([1]));

  const forwardDown = (async () => {
    try {
      for await (const frames of xsub) {
        received++;
        const err = normalizeErrorMessage(frames as Buffer[]);
        if (err && insert) {
          try {
            insert.run(new Date().toISOString(), err.timestamp, err.agent, err.error_type, err.message, err.severity, JSON.stringify(err.details ?? {}));
            if (received % 500 === 0) prune!.run(keep);
          } catch (e) {
            opts.log.warn({ err: e }, 'error bus could not store an error');
          }
        }
        downQueue = downQueue.then(() => xpub.send(frames as Buffer[]).catch(() => {}));
      }
    } catch (e) {
      if (!closed) opts.log.error({ err: e }, 'error bus upstream loop failed');
    }
  })();
  const forwardUp = (async () => {
    try {
      for await (const frames of xpub) {
        upQueue = upQueue.then(() => xsub.send(frames as Buffer[]).catch(() => {}));
      }
    } catch (e) {
      if (!closed) opts.log.error({ err: e }, 'error bus downstream loop failed');
    }
  })();
  opts.log.info({ xsub: opts.xsubPort, xpub: opts.xpubPort }, 'error bus running');

  return {
    get received() {
      return received;
    },
    recent(limit = 20) {
      if (!db) return [];
      return (db.prepare('SELECT timestamp, agent, error_type, message, severity, details FROM errors ORDER BY id DESC LIMIT ?').all(limit) as Array<BusError & { details: string }>).map(
        (r) => ({ ...r, details: safeJson(r.details) }),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      xsub.close();
      xpub.close();
      await Promise.allSettled([forwardDown, forwardUp]);
      db?.close();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

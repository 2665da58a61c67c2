import { existsSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { Subscriber } from 'zeromq';
import { errorBusDbFile, startErrorBus } from '../../errorbus/ErrorBus.js';
import { createLogger } from '../../runtime/logger.js';
import { runtimeEnv } from '../runtimeEnv.js';
import { openDatabase } from '../../stores/sqlite/openDatabase.js';
import type { BusError } from '../../errorbus/normalizeErrorMessage.js';
import { normalizeErrorMessage } from '../../errorbus/normalizeErrorMessage.js';

const offset = () => Number(process.env.PORT_OFFSET ?? 0) || 0;

export const errorbusCommand: CommandModule<object, { port?: number; 'pub-port'?: number; bind: string; keep: number }> = {
  command: 'errorbus',
  describe: 'Run the one-machine error bus (XSUB 7150 for publishers, XPUB 7151 for subscribers), keeping the last errors in SQLite',
  builder: (y) =>
    y
      .option('port', { type: 'number', describe: 'XSUB port publishers connect to (default 7150 + PORT_OFFSET)' })
      .option('pub-port', { type: 'number', describe: 'XPUB port subscribers connect to (default 7151 + PORT_OFFSET)' })
      .option('bind', { type: 'string', default: process.env.BIND_ADDRESS ?? '0.0.0.0', describe: 'Interface to bind' })
      .option('keep', { type: 'number', default: 10_000, describe: 'How many errors to keep in DATA_DIR/error-bus/errors.db' }),
  handler: async (argv) => {
    const log = createLogger('ErrorBus');
    const bus = await startErrorBus({
      xsubPort: argv.port ?? 7150 + offset(),
      xpubPort: argv['pub-port'] ?? 7151 + offset(),
      bindAddress: argv.bind,
      dbFile: errorBusDbFile(runtimeEnv().dataRoot),
      keep: argv.keep,
      log,
    });
    const stop = () => bus.close().finally(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.stdout.write(JSON.stringify({ event: 'ready', service: 'ErrorBus', pid: process.pid }) + '\n');
  },
};

function printError(e: BusError, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify(e) + '\n');
  else process.stdout.write(`${e.timestamp} ${e.severity.toUpperCase().padEnd(8)} ${e.agent} ${e.error_type}: ${e.message}\n`);
}

export const errorsCommand: CommandModule = {
  command: 'errors <command>',
  describe: 'Read the error bus',
  builder: (y) =>
    y
      .command<{ endpoint?: string; last: number; json?: boolean; follow: boolean }>({
        command: 'tail',
        describe: 'Print the last stored errors, then follow new ones live',
        builder: (t) =>
          t
            .option('endpoint', { type: 'string', describe: 'XPUB endpoint of the bus (default tcp://127.0.0.1:7151 + PORT_OFFSET)' })
            .option('last', { type: 'number', default: 20, describe: 'Stored errors to print first (from DATA_DIR/error-bus/errors.db)' })
            .option('json', { type: 'boolean', describe: 'One JSON object per line' })
            .option('follow', { type: 'boolean', default: true, describe: 'Keep following (--no-follow to exit after the stored ones)' }),
        handler: async (argv) => {
          const dbFile = errorBusDbFile(runtimeEnv().dataRoot);
          const endpoint = argv.endpoint ?? `tcp://127.0.0.1:${7151 + offset()}`;
          // What this command reads goes to stderr, so stdout stays the errors alone (for pipes).
          if (argv.last > 0) {
            if (!existsSync(dbFile)) {
              process.stderr.write(`no stored errors: ${dbFile} does not exist (is DATA_DIR the folder the bus runs on?)\n`);
            } else {
              try {
                const db = openDatabase(dbFile, 'error-bus');
                const rows = db.prepare('SELECT timestamp, agent, error_type, message, severity, details FROM errors ORDER BY id DESC LIMIT ?').all(argv.last) as BusError[];
                const total = (db.prepare('SELECT COUNT(*) AS n FROM errors').get() as { n: number }).n;
                db.close();
                process.stderr.write(`${rows.length} stored error${rows.length === 1 ? '' : 's'} from ${dbFile} (newest ${argv.last} asked, ${total} kept)\n`);
                for (const r of rows.reverse()) printError(r, !!argv.json);
              } catch (err) {
                process.stderr.write(`cannot read stored errors from ${dbFile}: ${(err as Error).message}\n`);
              }
            }
          }
          if (!argv.follow) return;
          const sub = new Subscriber({ linger: 0 });
          sub.subscribe('ERROR');
          sub.connect(endpoint);
          process.stderr.write(`following ERROR frames live on ${endpoint} (the bus's XPUB port; Ctrl-C to stop)\n`);
          const stop = () => {
            sub.close();
            process.exit(0);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
          for await (const frames of sub) {
            const e = normalizeErrorMessage(frames as Buffer[]);
            if (e) printError(e, !!argv.json);
          }
        },
      })
      .demandCommand(1, 'name a subcommand: tail'),
  handler: () => {},
};

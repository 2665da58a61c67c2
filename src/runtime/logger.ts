import { createRequire } from 'node:module';
import { pino } from 'pino';

export type Logger = pino.Logger;

const requireHere = createRequire(import.meta.url);

/**
 * LOG_FORMAT=json or pretty; otherwise human-readable lines when stderr is a terminal (a person
 * reading `npm start`) and JSON records when it is a file or a pipe (suite logs, journald, tests).
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, tty = !!process.stderr.isTTY): 'json' | 'pretty' {
  const f = env.LOG_FORMAT?.trim().toLowerCase();
  if (f === 'json' || f === 'pretty') return f;
  return tty ? 'pretty' : 'json';
}

let prettyStream: pino.DestinationStream | undefined;

/** One synchronous pino-pretty stream on stderr per process, loaded only when used. */
function prettyDestination(): pino.DestinationStream {
  if (!prettyStream) {
    const pretty = requireHere('pino-pretty') as (opts: Record<string, unknown>) => pino.DestinationStream;
    prettyStream = pretty({
      destination: 2, sync: true, colorize: !!process.stderr.isTTY && !process.env.NO_COLOR,
      translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true,
    });
  }
  return prettyStream;
}

/**
 * Logs on stderr (stdout stays free for CLI output such as `call`): see logFormat() for the format.
 * LOG_LEVEL picks the level; tests default to "warn" to keep their output readable.
 */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info');
  const dest = logFormat() === 'pretty' ? prettyDestination() : pino.destination(2);
  return pino({ name, level, base: { pid: process.pid, ...bindings } }, dest);
}

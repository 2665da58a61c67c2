import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs on stderr (stdout stays free for CLI output such as `call`).
 * LOG_LEVEL picks the level; tests default to "warn" to keep their output readable.
 */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info');
  return pino({ name, level, base: { pid: process.pid, ...bindings } }, pino.destination(2));
}

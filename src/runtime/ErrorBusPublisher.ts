import { Publisher } from 'zeromq';
import type { Counter } from 'prom-client';
import type { Logger } from './logger.js';

export type Severity = 'info' | 'warning' | 'error' | 'critical';

export interface ErrorReport {
  error_type: string;
  message: string;
  severity?: Severity;
  details?: Record<string, unknown>;
  /** Agent the error belongs to; defaults to the suite name. */
  agent?: string;
}

export interface ErrorReporter {
  report(report: ErrorReport): void;
}

export interface ErrorBusOptions {
  /** e.g. tcp://127.0.0.1:7150; undefined means "log and count only". */
  endpoint?: string;
  source: string;
  log: Logger;
  counter?: Counter<string>;
  /** Frames waiting to be sent; older ones are dropped past this (the bus is best-effort). */
  maxQueue?: number;
}

/**
 * Publishes errors to the legacy error bus: a PUB socket that connects (never binds) and sends one
 * frame `ERROR:` + JSON carrying both field sets collectors read (infrastructure.md §1.8 b, §4.5):
 * the template fields (timestamp, agent, error_type, message, severity, details) and the
 * ErrorPublisher fields (source, message_type, error_data). A bus that is down or absent never
 * blocks or fails the caller: PUB drops when no subscriber is connected, and the report is always
 * logged and counted.
 */
export class ErrorBusPublisher implements ErrorReporter {
  private readonly socket?: Publisher;
  private readonly queue: string[] = [];
  private sending = false;
  private closed = false;
  private readonly maxQueue: number;

  constructor(private readonly opts: ErrorBusOptions) {
    this.maxQueue = opts.maxQueue ?? 1000;
    if (opts.endpoint) {
      this.socket = new Publisher({ linger: 0, sendHighWaterMark: 1000 });
      this.socket.connect(opts.endpoint);
    }
  }

  report(report: ErrorReport): void {
    const severity = report.severity ?? 'error';
    const agent = report.agent ?? this.opts.source;
    this.opts.counter?.inc({ error_type: report.error_type, severity });
    this.opts.log[severity === 'critical' || severity === 'error' ? 'error' : 'warn'](
      { error_type: report.error_type, agent, details: report.details },
      report.message,
    );
    if (!this.socket || this.closed) return;
    const now = new Date();
    const body = {
      timestamp: now.getTime() / 1000,
      agent,
      error_type: report.error_type,
      message: report.message,
      severity,
      details: report.details ?? {},
      source: agent,
      message_type: severity === 'critical' ? 'critical_alert' : 'error_report',
      error_data: {
        error_id: crypto.randomUUID(),
        error_type: report.error_type,
        severity,
        details: report.details ?? {},
      },
      iso_timestamp: now.toISOString(),
    };
    let frame: string;
    try {
      frame = 'ERROR:' + JSON.stringify(body);
    } catch {
      frame = 'ERROR:' + JSON.stringify({ ...body, details: { unserializable: true }, error_data: { ...body.error_data, details: {} } });
    }
    if (this.queue.length >= this.maxQueue) this.queue.shift();
    this.queue.push(frame);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.sending || !this.socket) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        try {
          await this.socket.send(frame);
        } catch (err) {
          this.opts.log.debug({ err }, 'error bus send failed');
        }
      }
    } finally {
      this.sending = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.close();
  }
}

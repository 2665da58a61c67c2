import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ActionMetrics {
  ok: { inc(): void };
  error: { inc(): void };
  latency: { observe(seconds: number): void };
}

/**
 * Prometheus metrics of one suite process. Labels stay small: suite, agent and action come from
 * the registered set only (unknown verbs are counted as action="unknown"), status is ok|error.
 */
export class SuiteMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'suite' | 'agent' | 'action' | 'status'>;
  readonly errors: Counter<'suite' | 'agent' | 'action' | 'code'>;
  readonly latency: Histogram<'suite' | 'agent' | 'action'>;
  readonly inFlight: Gauge<'suite'>;
  readonly busRejected: Counter<'suite' | 'reason'>;
  readonly errorReports: Counter<'error_type' | 'severity'>;

  private readonly children = new Map<string, ActionMetrics>();

  /**
   * The labelled series of one (agent, action), created once: prom-client hashes the label object
   * on every inc()/observe(), which is a measurable share of a cheap request.
   */
  forAction(agent: string, action: string): ActionMetrics {
    const key = agent + '\u0000' + action;
    let m = this.children.get(key);
    if (!m) {
      const labels = { suite: this.suite, agent, action };
      m = {
        ok: this.requests.labels({ ...labels, status: 'ok' }),
        error: this.requests.labels({ ...labels, status: 'error' }),
        latency: this.latency.labels(labels),
      };
      this.children.set(key, m);
    }
    return m;
  }

  /** Read when metrics are scraped, so the hot path does not update a gauge twice per request. */
  inFlightSource: () => number = () => 0;

  constructor(readonly suite: string) {
    this.registry.setDefaultLabels({ service: suite });
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'agent_suites_requests_total',
      help: 'Requests answered, by agent, action and outcome',
      labelNames: ['suite', 'agent', 'action', 'status'],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: 'agent_suites_errors_total',
      help: 'Requests answered with an error, by error code',
      labelNames: ['suite', 'agent', 'action', 'code'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'agent_suites_request_duration_seconds',
      help: 'Time from decoded request to reply handed to the socket',
      labelNames: ['suite', 'agent', 'action'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    const metrics = this;
    this.inFlight = new Gauge({
      name: 'agent_suites_requests_in_flight',
      help: 'Requests being handled now',
      labelNames: ['suite'],
      registers: [this.registry],
      collect() {
        this.set({ suite: metrics.suite }, metrics.inFlightSource());
      },
    });
    this.busRejected = new Counter({
      name: 'agent_suites_rejected_total',
      help: 'Requests refused before reaching a handler (busy, too large, rate limited, unauthorized)',
      labelNames: ['suite', 'reason'],
      registers: [this.registry],
    });
    this.errorReports = new Counter({
      name: 'agent_suites_error_reports_total',
      help: 'Errors reported to the error bus (counted even when the bus is down)',
      labelNames: ['error_type', 'severity'],
      registers: [this.registry],
    });
  }
}

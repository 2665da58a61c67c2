import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { PairMap } from '../util/PairMap.js';
import { ActionStats, LatencyHistogramMetric, flushCounts } from './ActionStats.js';

/**
 * Prometheus metrics of one suite process. Labels stay small: suite, agent and action come from
 * the registered set only (unknown verbs are counted as action="unknown"), status is ok|error.
 */
export class SuiteMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'suite' | 'agent' | 'action' | 'status'>;
  readonly errors: Counter<'suite' | 'agent' | 'action' | 'code' | 'kind'>;
  readonly latency: LatencyHistogramMetric;
  readonly inFlight: Gauge<'suite'>;
  readonly busRejected: Counter<'suite' | 'reason'>;
  readonly errorReports: Counter<'error_type' | 'severity'>;

  private readonly children = new PairMap<ActionStats>();

  /** The counts and latency of one (agent, action), created once and updated without prom-client. */
  forAction(agent: string, action: string): ActionStats {
    let m = this.children.get(agent, action);
    if (!m) {
      m = new ActionStats({ suite: this.suite, agent, action });
      this.children.set(agent, action, m);
    }
    return m;
  }

  /** Read when metrics are scraped, so the hot path does not update a gauge twice per request. */
  inFlightSource: () => number = () => 0;

  constructor(readonly suite: string) {
    this.registry.setDefaultLabels({ service: suite });
    collectDefaultMetrics({ register: this.registry });
    const children = this.children;
    this.requests = new Counter({
      name: 'agent_suites_requests_total',
      help: 'Requests answered, by agent, action and outcome',
      labelNames: ['suite', 'agent', 'action', 'status'],
      registers: [this.registry],
      collect() {
        flushCounts(this, children.values());
      },
    });
    this.errors = new Counter({
      name: 'agent_suites_errors_total',
      help: 'Requests answered with an error, by error code and kind (client: the request was refused; server: the suite failed; reply: a legacy error reply without a code)',
      labelNames: ['suite', 'agent', 'action', 'code', 'kind'],
      registers: [this.registry],
    });
    this.latency = new LatencyHistogramMetric(
      'agent_suites_request_duration_seconds',
      'Time from decoded request to reply handed to the socket',
      () => children.values(),
      this.registry,
    );
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

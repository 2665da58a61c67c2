import { ZmqClient } from '../../transport/ZmqClient.js';

/** PC2 LearningAdjuster thresholds (learning_suite.md §9). */
export const ANALYSIS = Object.freeze({ responseTimeS: 1.0, errorRate: 0.05, cpuPercent: 80, memoryPercent: 80, trust: 0.7, windowHours: 24 });

export interface Suggestion {
  type: string;
  severity: string;
  message: string;
  adjustment: { parameter: string; current_value: null; suggested_value: 'increase' | 'decrease' };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const nums = (rows: Record<string, unknown>[], key: string) => rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));

/** The five suggestion rules over an agent's metrics, resource usage and trust scores. */
export function suggestionsFor(metrics: Record<string, unknown>[], usage: Record<string, unknown>[], scores: Record<string, number>): Suggestion[] {
  const out: Suggestion[] = [];
  const rt = nums(metrics, 'response_time');
  if (rt.length && mean(rt) > ANALYSIS.responseTimeS) {
    out.push({ type: 'performance', severity: 'medium', message: `High average response time: ${mean(rt).toFixed(2)}s`, adjustment: { parameter: 'batch_size', current_value: null, suggested_value: 'decrease' } });
  }
  if (metrics.length) {
    const rate = metrics.filter((m) => m.status === 'error').length / metrics.length;
    if (rate > ANALYSIS.errorRate) out.push({ type: 'reliability', severity: 'high', message: `High error rate: ${(rate * 100).toFixed(1)}%`, adjustment: { parameter: 'retry_count', current_value: null, suggested_value: 'increase' } });
  }
  const cpu = nums(usage, 'cpu_percent');
  if (cpu.length && mean(cpu) > ANALYSIS.cpuPercent) out.push({ type: 'resource', severity: 'high', message: `High CPU usage: ${mean(cpu).toFixed(1)}%`, adjustment: { parameter: 'worker_threads', current_value: null, suggested_value: 'decrease' } });
  const mem = nums(usage, 'memory_percent');
  if (mem.length && mean(mem) > ANALYSIS.memoryPercent) out.push({ type: 'resource', severity: 'high', message: `High memory usage: ${mean(mem).toFixed(1)}%`, adjustment: { parameter: 'cache_size', current_value: null, suggested_value: 'decrease' } });
  const trust = Object.values(scores).filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (trust.length && mean(trust) < ANALYSIS.trust) out.push({ type: 'trust', severity: 'medium', message: `Low trust score: ${(mean(trust) * 100).toFixed(1)}%`, adjustment: { parameter: 'validation_level', current_value: null, suggested_value: 'increase' } });
  return out;
}

/**
 * Talks to the PerformanceLogger, AgentTrustScorer and LearningAgent peers the PC2 variant used
 * (configured endpoints; none is assumed). Requests are the legacy ones.
 */
export class AgentAnalyzer {
  constructor(private readonly endpoints: { performanceLogger?: string; trustScorer?: string; learningAgent?: string }, private readonly timeoutMs: number) {}

  private async ask(endpoint: string, req: Record<string, unknown>): Promise<Record<string, unknown>> {
    const c = new ZmqClient(endpoint, { timeoutMs: this.timeoutMs });
    try {
      return (await c.request(req)) as Record<string, unknown>;
    } finally {
      c.close();
    }
  }

  async analyze(agent: string): Promise<{ status: string; message: string; suggestions: Suggestion[] }> {
    if (!this.endpoints.performanceLogger) {
      throw new Error('analyze_agent needs a PerformanceLogger peer: set performance_logger_endpoint in the suite config');
    }
    const end = new Date();
    const start = new Date(end.getTime() - ANALYSIS.windowHours * 3600_000);
    const window = { agent, start_time: start.toISOString(), end_time: end.toISOString() };
    const m = await this.ask(this.endpoints.performanceLogger, { action: 'get_agent_metrics', ...window });
    const metrics = m.status === 'success' && Array.isArray(m.metrics) ? (m.metrics as Record<string, unknown>[]) : [];
    if (metrics.length === 0) return { status: 'warning', message: `No performance metrics found for agent ${agent}`, suggestions: [] };
    const u = await this.ask(this.endpoints.performanceLogger, { action: 'get_agent_resource_usage', ...window });
    const usage = u.status === 'success' && Array.isArray(u.usage) ? (u.usage as Record<string, unknown>[]) : [];
    let scores: Record<string, number> = {};
    if (this.endpoints.trustScorer) {
      const t = await this.ask(this.endpoints.trustScorer, { action: 'get_agent_scores', agent });
      if (t.status === 'success' && typeof t.scores === 'object' && t.scores !== null) scores = t.scores as Record<string, number>;
    }
    return { status: 'success', message: `Analysis complete for agent ${agent}`, suggestions: suggestionsFor(metrics, usage, scores) };
  }

  /** Forwards an adjustment to the LearningAgent; unlike legacy, a failed forward is reported. */
  async apply(agent: string, adjustment: Record<string, unknown>): Promise<void> {
    if (!this.endpoints.learningAgent) throw new Error('apply_adjustment needs a LearningAgent peer: set learning_agent_endpoint in the suite config');
    const r = await this.ask(this.endpoints.learningAgent, { action: 'apply_adjustments', agent, adjustments: [adjustment] });
    if (r.status !== 'success') throw new Error(`LearningAgent refused the adjustment: ${String(r.message ?? r.error ?? r.status)}`);
  }
}

import { Reply as RepSocket } from 'zeromq';
import { serveJsonRep } from '../helpers/jsonRepPeer.js';

/**
 * Test double of the legacy PerformanceLoggerAgent (learning_suite.md §9), a peer this project does
 * not own: keeps what `log_metric` / `log_resource_usage` received and answers the PC2
 * LearningAdjuster's queries over the requested time window.
 */
export class PerformanceLoggerDouble {
  private readonly sock = new RepSocket({ linger: 0 });
  private readonly metrics: Record<string, unknown>[] = [];
  private readonly usage: Record<string, unknown>[] = [];
  private loop?: Promise<void>;

  static async start(port: number): Promise<PerformanceLoggerDouble> {
    const d = new PerformanceLoggerDouble();
    await d.sock.bind(`tcp://127.0.0.1:${port}`);
    d.loop = d.serve();
    return d;
  }

  private inWindow(rows: Record<string, unknown>[], req: Record<string, any>) {
    const from = Date.parse(req.start_time);
    const to = Date.parse(req.end_time);
    return rows.filter((r) => r.agent === req.agent && Date.parse(String(r.timestamp)) >= from && Date.parse(String(r.timestamp)) <= to);
  }

  private handle(req: Record<string, any>): Record<string, unknown> {
    const now = new Date().toISOString();
    switch (req.action) {
      case 'log_metric':
        this.metrics.push({ ...req, timestamp: req.timestamp ?? now });
        return { status: 'success' };
      case 'log_resource_usage':
        this.usage.push({ ...req, timestamp: req.timestamp ?? now });
        return { status: 'success' };
      case 'get_agent_metrics':
        return { status: 'success', metrics: this.inWindow(this.metrics, req) };
      case 'get_agent_resource_usage':
        return { status: 'success', usage: this.inWindow(this.usage, req) };
      default:
        return { status: 'error', message: `Unknown action: ${req.action}` };
    }
  }

  private serve(): Promise<void> {
    return serveJsonRep(this.sock, (req) => this.handle(req), (err) => ({ status: 'error', message: err.message }));
  }


  /** Direct feed for tests (what the logger would have received from agents). */
  add(kind: 'metric' | 'usage', row: Record<string, unknown>): void {
    (kind === 'metric' ? this.metrics : this.usage).push({ timestamp: new Date().toISOString(), ...row });
  }

  async close(): Promise<void> {
    this.sock.close();
    await this.loop;
  }
}

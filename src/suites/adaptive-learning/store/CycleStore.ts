import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { GroupCommit } from '../../../stores/sqlite/GroupCommit.js';
import { localIso } from '../timeFormat.js';

export type StoCycleStatus = 'pending' | 'running' | 'completed' | 'failed' | 'paused' | 'cancelled';

export interface StoCycle {
  id: string;
  agentId: string;
  config: Record<string, unknown>;
  status: StoCycleStatus;
  priority: number;
  resources: Record<string, number>;
  startTime: string | null;
  endTime: string | null;
  progress: number;
  error: string | null;
  jobId: string | null;
}

export interface LosCycle {
  cycle_id: string;
  model_name: string;
  learning_opportunities: string[];
  status: string;
  start_time: string | null;
  end_time: string | null;
  resource_allocation: Record<string, unknown> | null;
  hyperparameters: Record<string, unknown> | null;
  training_logs: string | null;
  job_id: string | null;
}

interface StoRow {
  id: string; agent_id: string; config: string; status: StoCycleStatus; priority: number; resources: string;
  start_time: string | null; end_time: string | null; progress: number; error: string | null; job_id: string | null;
}

interface LosRow {
  id: string; model_name: string; learning_opportunities: string; status: string; start_time: string | null; end_time: string | null;
  resource_allocation: string | null; hyperparameters: string | null; training_logs: string | null; job_id: string | null;
}

const sto = (r: StoRow): StoCycle => ({
  id: r.id, agentId: r.agent_id, config: JSON.parse(r.config), status: r.status, priority: r.priority, resources: JSON.parse(r.resources),
  startTime: r.start_time, endTime: r.end_time, progress: r.progress, error: r.error, jobId: r.job_id,
});

const los = (r: LosRow): LosCycle => ({
  cycle_id: r.id, model_name: r.model_name, learning_opportunities: JSON.parse(r.learning_opportunities), status: r.status,
  start_time: r.start_time, end_time: r.end_time, resource_allocation: r.resource_allocation ? JSON.parse(r.resource_allocation) : null,
  hyperparameters: r.hyperparameters ? JSON.parse(r.hyperparameters) : null, training_logs: r.training_logs, job_id: r.job_id,
});

/** Both legacy "training cycle" tables (STO and LOS), kept apart as the spec asks (§11). */
export class CycleStore {
  constructor(private readonly db: SqliteDatabase) {}

  // ---- SelfTrainingOrchestrator ----
  createSto(agentId: string, config: Record<string, unknown>, priority: number, resources: Record<string, number>): StoCycle {
    const exists = this.db.prepare('SELECT 1 FROM sto_training_cycles WHERE id = ?');
    let sec = Math.floor(Date.now() / 1000);
    while (exists.get(`cycle_${sec}_${agentId}`)) sec++;
    const id = `cycle_${sec}_${agentId}`;
    GroupCommit.for(this.db).run(() => {
      const { s } = this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM sto_training_cycles').get() as { s: number };
      this.db
        .prepare(`INSERT INTO sto_training_cycles (id, agent_id, config, status, priority, resources, seq) VALUES (?, ?, ?, 'pending', ?, ?, ?)`)
        .run(id, agentId, JSON.stringify(config), priority, JSON.stringify(resources), s);
    });
    return this.getSto(id)!;
  }

  getSto(id: string): StoCycle | undefined {
    const r = this.db.prepare('SELECT * FROM sto_training_cycles WHERE id = ?').get(id) as StoRow | undefined;
    return r ? sto(r) : undefined;
  }

  stoByStatus(status: StoCycleStatus): StoCycle[] {
    return (this.db.prepare('SELECT * FROM sto_training_cycles WHERE status = ? ORDER BY priority DESC, seq ASC').all(status) as StoRow[]).map(sto);
  }

  stoByJob(jobId: string): StoCycle | undefined {
    const r = this.db.prepare('SELECT * FROM sto_training_cycles WHERE job_id = ?').get(jobId) as StoRow | undefined;
    return r ? sto(r) : undefined;
  }

  markStoRunning(id: string, jobId: string | null): void {
    this.db.prepare(`UPDATE sto_training_cycles SET status = 'running', start_time = ?, job_id = ? WHERE id = ?`).run(localIso(), jobId, id);
  }

  setStoProgress(id: string, progress: number): void {
    this.db.prepare('UPDATE sto_training_cycles SET progress = ? WHERE id = ?').run(progress, id);
  }

  endSto(id: string, status: 'completed' | 'failed' | 'cancelled', error: string | null): void {
    this.db
      .prepare(`UPDATE sto_training_cycles SET status = ?, error = ?, end_time = ?, progress = CASE WHEN ? = 'completed' THEN 1.0 ELSE progress END WHERE id = ?`)
      .run(status, error, localIso(), status, id);
  }

  addStoMetric(id: string, name: string, value: number): void {
    this.db.prepare('INSERT INTO sto_cycle_metrics (cycle_id, metric_name, value, timestamp) VALUES (?, ?, ?, ?)').run(id, name, value, localIso());
  }

  /** metric → value over the 10 newest rows; the newest value of a name wins. */
  stoMetrics(id: string): Record<string, number> {
    const rows = this.db.prepare('SELECT metric_name, value FROM sto_cycle_metrics WHERE cycle_id = ? ORDER BY id DESC LIMIT 10').all(id) as { metric_name: string; value: number }[];
    const out: Record<string, number> = {};
    for (const r of rows) if (!(r.metric_name in out)) out[r.metric_name] = r.value;
    return out;
  }

  countSto(status: StoCycleStatus): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM sto_training_cycles WHERE status = ?').get(status) as { n: number }).n;
  }

  // ---- LearningOrchestrationService ----
  createLos(c: Omit<LosCycle, 'end_time' | 'training_logs' | 'job_id'>): void {
    this.db
      .prepare(
        `INSERT INTO los_training_cycles (id, model_name, learning_opportunities, status, start_time, resource_allocation, hyperparameters, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.cycle_id, c.model_name, JSON.stringify(c.learning_opportunities), c.status, c.start_time, JSON.stringify(c.resource_allocation),
        JSON.stringify(c.hyperparameters), localIso());
  }

  getLos(id: string): LosCycle | undefined {
    const r = this.db.prepare('SELECT * FROM los_training_cycles WHERE id = ?').get(id) as LosRow | undefined;
    return r ? los(r) : undefined;
  }

  listLos(limit: number): LosCycle[] {
    return (this.db.prepare('SELECT * FROM los_training_cycles ORDER BY start_time DESC, rowid DESC LIMIT ?').all(limit) as LosRow[]).map(los);
  }

  losWaiting(): LosCycle[] {
    return (this.db.prepare(`SELECT * FROM los_training_cycles WHERE status = 'scheduled' AND job_id IS NULL ORDER BY rowid`).all() as LosRow[]).map(los);
  }

  losByJob(jobId: string): LosCycle[] {
    return (this.db.prepare('SELECT * FROM los_training_cycles WHERE job_id = ?').all(jobId) as LosRow[]).map(los);
  }

  setLosJob(ids: string[], jobId: string): void {
    const st = this.db.prepare('UPDATE los_training_cycles SET job_id = ? WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => st.run(jobId, id)))();
  }

  updateLosForJob(jobId: string, status: string, end: boolean, logs: string | null): void {
    this.db
      .prepare(`UPDATE los_training_cycles SET status = ?, end_time = CASE WHEN ? THEN ? ELSE end_time END, training_logs = COALESCE(?, training_logs) WHERE job_id = ?`)
      .run(status, end ? 1 : 0, localIso(), logs, jobId);
  }

  countLos(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM los_training_cycles').get() as { n: number }).n;
  }
}

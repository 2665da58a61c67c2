import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { GroupCommit } from '../../../stores/sqlite/GroupCommit.js';
import { localIso } from '../timeFormat.js';
import type { TrainingSpec } from '../trainers/Trainer.js';

/** pending: created, not submitted · queued · running · succeeded · failed · cancelled · interrupted (running at a crash/shutdown). */
export type JobStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
export const TERMINAL_JOB_STATES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export interface Job {
  id: string;
  modelId: string;
  config: unknown;
  status: JobStatus;
  startTime: string | null;
  endTime: string | null;
  error: string | null;
  priority: number;
  queueSeq: number | null;
  gpu: string | null;
  assignedGpu: string | null;
  trainer: string | null;
  spec: TrainingSpec | null;
  outDir: string | null;
  logPath: string | null;
  checkpointPath: string | null;
  step: number;
  totalSteps: number | null;
  loss: number | null;
  tokensPerSecond: number | null;
  etaSeconds: number | null;
  initialLoss: number | null;
  finalLoss: number | null;
  pid: number | null;
  attempts: number;
  source: string | null;
  createdAt: string;
}

export interface NewJob {
  modelId: string;
  config: unknown;
  priority?: number;
  gpu?: string | null;
  trainer?: string | null;
  spec?: TrainingSpec | null;
  source?: string;
}

export interface JobProgressUpdate {
  step: number;
  totalSteps?: number | null;
  loss?: number | null;
  tokensPerSecond?: number | null;
  etaSeconds?: number | null;
}

interface Row {
  id: string; model_id: string; config: string; status: JobStatus; start_time: string | null; end_time: string | null;
  error: string | null; priority: number; queue_seq: number | null; gpu: string | null; assigned_gpu: string | null;
  trainer: string | null; spec: string | null; out_dir: string | null; log_path: string | null; checkpoint_path: string | null;
  step: number; total_steps: number | null; loss: number | null; tokens_per_second: number | null; eta_seconds: number | null;
  initial_loss: number | null; final_loss: number | null; pid: number | null; attempts: number; source: string | null; created_at: string;
}

function fromRow(r: Row): Job {
  return {
    id: r.id, modelId: r.model_id, config: JSON.parse(r.config), status: r.status, startTime: r.start_time,
    endTime: r.end_time, error: r.error, priority: r.priority, queueSeq: r.queue_seq, gpu: r.gpu, assignedGpu: r.assigned_gpu,
    trainer: r.trainer, spec: r.spec ? (JSON.parse(r.spec) as TrainingSpec) : null, outDir: r.out_dir, logPath: r.log_path,
    checkpointPath: r.checkpoint_path, step: r.step, totalSteps: r.total_steps, loss: r.loss, tokensPerSecond: r.tokens_per_second,
    etaSeconds: r.eta_seconds, initialLoss: r.initial_loss, finalLoss: r.final_loss, pid: r.pid, attempts: r.attempts,
    source: r.source, createdAt: r.created_at,
  };
}

/**
 * Durable fine-tuning jobs (legacy LFT `tuning_jobs`, `tuning_metrics`, `artifacts`). SQLite is the
 * truth the scheduler recovers from after a restart.
 */
export class JobStore {
  constructor(private readonly db: SqliteDatabase) {}

  /** `job_<unix seconds>_<model_id>` as legacy; a clash within one second takes the next free second. */
  private newId(modelId: string): string {
    const exists = this.db.prepare('SELECT 1 FROM tuning_jobs WHERE id = ?');
    let sec = Math.floor(Date.now() / 1000);
    while (exists.get(`job_${sec}_${modelId}`)) sec++;
    return `job_${sec}_${modelId}`;
  }

  create(j: NewJob): Job {
    const id = this.newId(j.modelId);
    // Concurrent creates share one commit (GroupCommit); the reply waits for it.
    GroupCommit.for(this.db).run(() => this.db
      .prepare(
        `INSERT INTO tuning_jobs (id, model_id, config, status, artifacts, priority, gpu, trainer, spec, source, updated_at, created_at)
         VALUES (?, ?, ?, 'pending', '{}', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, j.modelId, JSON.stringify(j.config ?? null), j.priority ?? 1, j.gpu ?? null, j.trainer ?? null,
        j.spec ? JSON.stringify(j.spec) : null, j.source ?? null, localIso(), localIso()));
    return this.get(id)!;
  }

  get(id: string): Job | undefined {
    const r = this.db.prepare('SELECT * FROM tuning_jobs WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  list(opts: { status?: JobStatus[]; limit?: number } = {}): Job[] {
    const where = opts.status?.length ? `WHERE status IN (${opts.status.map(() => '?').join(',')})` : '';
    const rows = this.db
      .prepare(`SELECT * FROM tuning_jobs ${where} ORDER BY created_at DESC, rowid DESC LIMIT ?`)
      .all(...(opts.status ?? []), opts.limit ?? 100) as Row[];
    return rows.map(fromRow);
  }

  /** Queued jobs in run order: highest priority first, then first queued first. */
  queued(): Job[] {
    const rows = this.db.prepare(`SELECT * FROM tuning_jobs WHERE status = 'queued' ORDER BY priority DESC, queue_seq ASC`).all() as Row[];
    return rows.map(fromRow);
  }

  countByStatus(): Record<string, number> {
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM tuning_jobs GROUP BY status').all() as { status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  setSpec(id: string, spec: TrainingSpec, trainer: string): void {
    this.db.prepare('UPDATE tuning_jobs SET spec = ?, trainer = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(spec), trainer, localIso(), id);
  }

  enqueue(id: string, priority?: number): void {
    this.db.transaction(() => {
      const { s } = this.db.prepare('SELECT COALESCE(MAX(queue_seq), 0) + 1 AS s FROM tuning_jobs').get() as { s: number };
      this.db
        .prepare(`UPDATE tuning_jobs SET status = 'queued', queue_seq = ?, priority = COALESCE(?, priority), error = NULL, end_time = NULL, updated_at = ? WHERE id = ?`)
        .run(s, priority ?? null, localIso(), id);
    })();
  }

  markRunning(id: string, gpu: string, outDir: string, logPath: string): void {
    this.db
      .prepare(
        `UPDATE tuning_jobs SET status = 'running', assigned_gpu = ?, out_dir = ?, log_path = ?, attempts = attempts + 1,
         start_time = COALESCE(start_time, ?), updated_at = ? WHERE id = ?`,
      )
      .run(gpu, outDir, logPath, localIso(), localIso(), id);
  }

  setPid(id: string, pid: number | null): void {
    this.db.prepare('UPDATE tuning_jobs SET pid = ? WHERE id = ?').run(pid, id);
  }

  updateProgress(id: string, p: JobProgressUpdate): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE tuning_jobs SET step = ?, total_steps = COALESCE(?, total_steps), loss = COALESCE(?, loss),
           tokens_per_second = COALESCE(?, tokens_per_second), eta_seconds = ?,
           initial_loss = COALESCE(initial_loss, ?), updated_at = ? WHERE id = ?`,
        )
        .run(p.step, p.totalSteps ?? null, p.loss ?? null, p.tokensPerSecond ?? null, p.etaSeconds ?? null, p.loss ?? null, localIso(), id);
      const ins = this.db.prepare('INSERT INTO tuning_metrics (job_id, metric_name, value, step, timestamp) VALUES (?, ?, ?, ?, ?)');
      const now = localIso();
      if (p.loss != null && Number.isFinite(p.loss)) ins.run(id, 'loss', p.loss, p.step, now);
      if (p.tokensPerSecond != null && Number.isFinite(p.tokensPerSecond)) ins.run(id, 'tokens_per_second', p.tokensPerSecond, p.step, now);
    })();
  }

  setCheckpoint(id: string, path: string): void {
    this.db.prepare('UPDATE tuning_jobs SET checkpoint_path = ?, updated_at = ? WHERE id = ?').run(path, localIso(), id);
    this.addArtifact(id, 'checkpoint', path);
  }

  addArtifact(id: string, type: string, path: string): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO tuning_artifacts (job_id, type, path, metadata, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, type, path, JSON.stringify({ timestamp: localIso() }), localIso());
      const row = this.db.prepare('SELECT artifacts FROM tuning_jobs WHERE id = ?').get(id) as { artifacts: string } | undefined;
      const map = row ? (JSON.parse(row.artifacts) as Record<string, string>) : {};
      map[type] = path;
      this.db.prepare('UPDATE tuning_jobs SET artifacts = ? WHERE id = ?').run(JSON.stringify(map), id);
    })();
  }

  artifacts(id: string): Record<string, string> {
    const row = this.db.prepare('SELECT artifacts FROM tuning_jobs WHERE id = ?').get(id) as { artifacts: string } | undefined;
    return row ? (JSON.parse(row.artifacts) as Record<string, string>) : {};
  }

  /** metric name → value over the 10 newest metric rows (newest value wins). */
  recentMetrics(id: string): Record<string, number> {
    const rows = this.db
      .prepare('SELECT metric_name, value FROM tuning_metrics WHERE job_id = ? ORDER BY id DESC LIMIT 10')
      .all(id) as { metric_name: string; value: number }[];
    const out: Record<string, number> = {};
    for (const r of rows) if (!(r.metric_name in out)) out[r.metric_name] = r.value;
    return out;
  }

  addMetric(id: string, name: string, value: number, step: number): void {
    this.db.prepare('INSERT INTO tuning_metrics (job_id, metric_name, value, step, timestamp) VALUES (?, ?, ?, ?, ?)').run(id, name, value, step, localIso());
  }

  finish(id: string, status: 'succeeded' | 'failed' | 'cancelled' | 'interrupted', f: { error?: string | null; finalLoss?: number | null; tokensPerSecond?: number | null; step?: number } = {}): void {
    const terminal = status !== 'interrupted';
    this.db
      .prepare(
        `UPDATE tuning_jobs SET status = ?, error = ?, final_loss = COALESCE(?, final_loss), tokens_per_second = COALESCE(?, tokens_per_second),
         step = COALESCE(?, step), eta_seconds = CASE WHEN ? THEN 0 ELSE eta_seconds END, end_time = CASE WHEN ? THEN ? ELSE end_time END,
         pid = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(status, f.error ?? null, f.finalLoss ?? null, f.tokensPerSecond ?? null, f.step ?? null, status === 'succeeded' ? 1 : 0,
        terminal ? 1 : 0, localIso(), localIso(), id);
  }

  /** Jobs left `running` by a process that died; they become `interrupted` (returned for clean-up). */
  interruptOrphans(): Job[] {
    const rows = this.db.prepare(`SELECT * FROM tuning_jobs WHERE status = 'running'`).all() as Row[];
    const mark = this.db.prepare(`UPDATE tuning_jobs SET status = 'interrupted', error = ?, updated_at = ? WHERE id = ?`);
    for (const r of rows) mark.run('interrupted: the suite stopped while this job was running', localIso(), r.id);
    return rows.map(fromRow);
  }
}

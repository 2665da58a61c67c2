import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import type { Logger } from '../../runtime/logger.js';
import type { SuiteOptions } from './config.js';
import { buildDataset } from './datasets.js';
import { toInteraction, type Interaction } from './opportunities/OpportunityDetector.js';
import { highValueReason } from './opportunities/scoring.js';
import { contentHash } from './store/OpportunityStore.js';
import type { Job } from './store/JobStore.js';
import type { TrainingService } from './TrainingService.js';

/** needs_label: a correction whose right answer we do not know yet · ready: usable as is · labeled · used: in a job. */
export type SampleStatus = 'needs_label' | 'ready' | 'labeled' | 'used';

export interface Sample {
  id: string;
  reason: string;
  status: SampleStatus;
  interaction: Interaction;
  label: string | null;
  file_path: string | null;
  job_id: string | null;
  created_at: string;
}

interface Row { id: string; reason: string; status: SampleStatus; interaction: string; label: string | null; file_path: string | null; job_id: string | null; created_at: string }
const toSample = (r: Row): Sample => ({ ...r, interaction: JSON.parse(r.interaction) });

/** ALM's fine-tune request parameters (learning_suite.md §7.4). */
export const ALM_TRIGGER_PARAMETERS = Object.freeze({ epochs: 1, batch_size: 4 });

/**
 * ActiveLearningMonitor (learning_suite.md §7) made real: the legacy keyword rule picks high-value
 * interactions; each is saved as a JSON file (as legacy) and as a sample. Corrections wait for a
 * label (the corrected answer) — that is the "ask for labels" step; other samples are usable at
 * once. `trigger_finetune` starts a job from a data file or from the labelled samples.
 */
export class ActiveLearning {
  readonly stats = { monitored_events: 0, processed_items: 0, high_value: 0 };
  private fileSeq = 0;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly training: TrainingService,
    private readonly opts: SuiteOptions,
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  /** Returns the stored sample for a high-value interaction, undefined otherwise (or when already seen). */
  consider(msg: unknown): Sample | undefined {
    const it = toInteraction(msg);
    if (!it) return undefined;
    this.stats.monitored_events++;
    this.stats.processed_items++;
    const reason = highValueReason(it.user_input, it.assistant_response);
    if (!reason) return undefined;
    this.stats.high_value++;
    const hash = contentHash(it.user_input, it.assistant_response);
    if (this.db.prepare('SELECT 1 FROM active_learning_samples WHERE content_hash = ?').get(hash)) return undefined;
    const now = new Date();
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
    const dir = join(this.dataDir, 'training_data');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `training_data_${stamp}_${++this.fileSeq}.json`);
    writeFileSync(file, JSON.stringify(msg, null, 2));
    const id = randomUUID();
    const status: SampleStatus = reason === 'correction' && !it.corrected_response ? 'needs_label' : 'ready';
    this.db
      .prepare('INSERT INTO active_learning_samples (id, interaction, reason, file_path, status, content_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, JSON.stringify(it), reason, file, status, hash, now.toISOString());
    if (this.opts.almAutoTrigger) {
      try {
        this.autoTrigger();
      } catch (err) {
        this.log.warn({ err }, 'active-learning auto trigger failed');
      }
    }
    return this.get(id);
  }

  get(id: string): Sample | undefined {
    const r = this.db.prepare('SELECT * FROM active_learning_samples WHERE id = ?').get(id) as Row | undefined;
    return r ? toSample(r) : undefined;
  }

  list(status: SampleStatus | undefined, limit: number): Sample[] {
    const rows = status
      ? this.db.prepare('SELECT * FROM active_learning_samples WHERE status = ? ORDER BY created_at LIMIT ?').all(status, limit)
      : this.db.prepare('SELECT * FROM active_learning_samples ORDER BY created_at LIMIT ?').all(limit);
    return (rows as Row[]).map(toSample);
  }

  /** Records the corrected answer for a sample. */
  label(id: string, label: string): Sample {
    const s = this.get(id);
    if (!s) throw new Error(`Sample not found: ${id}`);
    if (s.status === 'used') throw new Error(`Sample ${id} was already used by job ${s.job_id}`);
    const it = { ...s.interaction, corrected_response: label };
    this.db.prepare(`UPDATE active_learning_samples SET label = ?, status = 'labeled', interaction = ? WHERE id = ?`).run(label, JSON.stringify(it), id);
    return this.get(id)!;
  }

  /**
   * ALM's `trigger_finetune` envelope: `data_source` (file), `model_to_tune`, `parameters`. Without
   * a data source the ready and labelled samples become the data set.
   */
  trigger(p: { data_source?: string; model_to_tune?: string; parameters?: Record<string, unknown> }): Job {
    const model = p.model_to_tune && p.model_to_tune !== 'current_model' ? p.model_to_tune : this.opts.baseModel;
    const config: Record<string, unknown> = { ...ALM_TRIGGER_PARAMETERS, ...(p.parameters ?? {}) };
    let sampleIds: string[] = [];
    if (p.data_source) config.data_source = p.data_source;
    else {
      const samples = [...this.list('labeled', 10_000), ...this.list('ready', 10_000)];
      if (samples.length === 0) throw new Error('no data_source given and no ready or labelled samples to train on');
      const dataPath = join(this.dataDir, 'datasets', `active_learning_${Date.now()}.jsonl`);
      buildDataset([{ records: samples.map((s) => s.interaction) }], dataPath);
      config.data_path = dataPath;
      sampleIds = samples.map((s) => s.id);
    }
    const job = this.training.createJob({ modelId: model, config, source: 'active_learning' });
    const mark = this.db.prepare(`UPDATE active_learning_samples SET status = 'used', job_id = ? WHERE id = ?`);
    this.db.transaction(() => sampleIds.forEach((id) => mark.run(job.id, id)))();
    this.training.start(job.id);
    return this.training.store.get(job.id)!;
  }

  private autoTrigger(): void {
    const ready = (this.db.prepare(`SELECT COUNT(*) AS n FROM active_learning_samples WHERE status IN ('ready', 'labeled')`).get() as { n: number }).n;
    if (ready >= this.opts.almBatchSize) this.trigger({});
  }

  /** The legacy (unexposed) get_training_data_stats figures. */
  trainingDataStats(): Record<string, unknown> {
    const r = this.db.prepare('SELECT COUNT(*) AS n, MAX(created_at) AS latest FROM active_learning_samples').get() as { n: number; latest: string | null };
    return { total_interactions: r.n, latest_interaction: r.latest, buffer_size: 0 };
  }
}

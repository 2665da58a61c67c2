import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../runtime/logger.js';
import type { SuiteOptions } from './config.js';
import { buildDataset } from './datasets.js';
import type { CycleStore, LosCycle } from './store/CycleStore.js';
import type { Job } from './store/JobStore.js';
import type { OpportunityStore } from './store/OpportunityStore.js';
import { checkIsoFormat, utcIso } from './timeFormat.js';
import type { TrainingService } from './TrainingService.js';

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** LOS resource record kept from legacy (§5.4); the hyper-parameters come from config (same defaults). */
export const LOS_RESOURCES = Object.freeze({ gpu_id: 0, vram_mb: 8192 });

export class OpportunityInputError extends Error {}

/**
 * LearningOrchestrationService (learning_suite.md §5): one cycle per learning opportunity, as
 * legacy. New: once at least `min_examples` waiting cycles carry opportunities this suite detected
 * (so their interactions are known), they are turned into a JSONL data set and one fine-tuning job,
 * and the cycles follow that job: scheduled → running → completed | failed. Automatic training
 * needs `auto_train` and a trainable `base_model`; otherwise cycles wait for `training.start`.
 */
export class OrchestrationService {
  readonly counters = { cycles_created: 0, cycles_completed: 0, cycles_failed: 0, opportunities_received: 0 };

  constructor(
    private readonly cycles: CycleStore,
    private readonly opportunities: OpportunityStore,
    private readonly training: TrainingService,
    private readonly opts: SuiteOptions,
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  newOpportunity(p: { opportunity_id?: unknown; score?: unknown; category?: unknown; timestamp?: unknown }): LosCycle {
    this.counters.opportunities_received++; // counted before validation, as legacy
    const id = p.opportunity_id;
    if (id === undefined || id === null) throw new OpportunityInputError('opportunity_id is required (a UUID string)');
    if (typeof id !== 'string' || !UUID_RE.test(id)) throw new OpportunityInputError(`opportunity_id must be a valid UUID (got ${JSON.stringify(id)})`);
    let start: string;
    if (p.timestamp === undefined || p.timestamp === null) start = utcIso();
    else if (typeof p.timestamp !== 'string') throw new OpportunityInputError(`Invalid isoformat string: ${JSON.stringify(p.timestamp)}`);
    else {
      try {
        start = checkIsoFormat(p.timestamp);
      } catch (err) {
        throw new OpportunityInputError((err as Error).message);
      }
    }
    const cycle: Omit<LosCycle, 'end_time' | 'training_logs' | 'job_id'> = {
      cycle_id: randomUUID(), model_name: this.opts.baseModel, learning_opportunities: [id.toLowerCase()], status: 'scheduled',
      start_time: start, resource_allocation: { ...LOS_RESOURCES }, hyperparameters: { ...this.opts.losHyperparameters },
    };
    this.cycles.createLos(cycle);
    this.counters.cycles_created++;
    try {
      this.maybeTrain();
    } catch (err) {
      this.log.warn({ err }, 'could not start training for waiting LOS cycles');
    }
    return this.cycles.getLos(cycle.cycle_id)!;
  }

  list(limit: number): LosCycle[] {
    return this.cycles.listLos(limit);
  }

  /** Turns waiting cycles with known interactions into one job once enough examples are there. */
  maybeTrain(force = false): Job | undefined {
    if (!force && (!this.opts.autoTrain || !this.training.canTrain(this.opts.baseModel))) return undefined;
    const waiting = this.cycles.losWaiting();
    const records: unknown[] = [];
    const cycleIds: string[] = [];
    const oppIds: string[] = [];
    for (const c of waiting) {
      let used = false;
      for (const oid of c.learning_opportunities) {
        const o = this.opportunities.get(oid);
        if (o?.interaction && o.status === 'pending') {
          records.push(o.interaction);
          oppIds.push(oid);
          used = true;
        }
      }
      if (used) cycleIds.push(c.cycle_id);
    }
    if (records.length === 0 || (!force && records.length < this.opts.minExamples)) return undefined;
    const dataPath = join(this.dataDir, 'datasets', `opportunities_${Date.now()}_${cycleIds[0]}.jsonl`);
    const examples = buildDataset([{ records }], dataPath);
    const hyper = { ...this.opts.losHyperparameters, ...(waiting[0]?.hyperparameters ?? {}) };
    const score = Math.max(...oppIds.map((id) => this.opportunities.get(id)?.score ?? 0));
    const job = this.training.createJob({
      modelId: this.opts.baseModel,
      config: { data_path: dataPath, hyperparameters: hyper, opportunity_ids: oppIds, examples_count: examples },
      priority: 1 + Math.round(score * 10),
      source: `los:${cycleIds.join(',')}`,
    });
    this.cycles.setLosJob(cycleIds, job.id);
    for (const id of oppIds) this.opportunities.markProcessed(id);
    this.training.start(job.id);
    return job;
  }

  /** Scheduler transition hook: cycles mirror their job. */
  onJob(job: Job): void {
    const linked = this.cycles.losByJob(job.id);
    if (linked.length === 0) return;
    const before = linked[0]!.status;
    switch (job.status) {
      case 'running':
        this.cycles.updateLosForJob(job.id, 'running', false, null);
        break;
      case 'succeeded':
        this.cycles.updateLosForJob(job.id, 'completed', true, `job ${job.id} succeeded: loss ${job.initialLoss} → ${job.finalLoss}; log ${job.logPath}`);
        if (before !== 'completed') this.counters.cycles_completed += linked.length;
        break;
      case 'failed':
      case 'cancelled':
        this.cycles.updateLosForJob(job.id, 'failed', true, `job ${job.id} ${job.status}: ${job.error ?? ''}`);
        if (before !== 'failed') this.counters.cycles_failed += linked.length;
        break;
      case 'queued':
      case 'interrupted':
        this.cycles.updateLosForJob(job.id, 'scheduled', false, job.status === 'interrupted' ? `job ${job.id} interrupted; resume with training.start` : null);
        break;
      default:
    }
  }

  trainingCycleCount(): number {
    try {
      return this.cycles.countLos();
    } catch {
      return -1;
    }
  }
}

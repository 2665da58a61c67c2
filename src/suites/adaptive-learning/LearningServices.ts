import { join } from 'node:path';
import type { SuiteContext } from '../../runtime/Suite.js';
import { openDatabase, type SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import { GroupCommit } from '../../stores/sqlite/GroupCommit.js';
import { ActiveLearning } from './ActiveLearning.js';
import { AdapterEvaluator } from './AdapterEvaluator.js';
import { readOptions, type SuiteOptions } from './config.js';
import { LearningSessions } from './LearningSessions.js';
import { InteractionSubscriber } from './opportunities/InteractionSubscriber.js';
import { fetchMemoryExchanges } from './peers/MemoryHubInteractions.js';
import { OpportunityDetector } from './opportunities/OpportunityDetector.js';
import { OrchestrationService } from './OrchestrationService.js';
import { ParameterAdjuster } from './ParameterAdjuster.js';
import { PerformanceTracker } from './PerformanceTracker.js';
import { SharedGpuLocks } from './scheduler/GpuLocks.js';
import { ResourceManagedLocks } from './scheduler/ResourceManagedLocks.js';
import { ResourceManagerClient } from '../../peers/ResourceManagerClient.js';
import { Scheduler } from './scheduler/Scheduler.js';
import { SelfTrainingCycles } from './SelfTrainingCycles.js';
import { CycleStore } from './store/CycleStore.js';
import { JobStore } from './store/JobStore.js';
import { OpportunityStore } from './store/OpportunityStore.js';
import { createTrainers } from './trainers/createTrainers.js';
import { TrainingMetrics } from './TrainingMetrics.js';
import { TrainingService } from './TrainingService.js';

/**
 * Every domain service of the suite, wired once: the job scheduler's transitions fan out to the
 * STO cycles, LOS cycles, performance tracking and metrics; interactions from the streams and
 * from requests fan out to the detector and the active-learning monitor.
 */
export class LearningServices {
  readonly options: SuiteOptions;
  readonly db: SqliteDatabase;
  readonly jobs: JobStore;
  readonly cycles: CycleStore;
  readonly opportunities: OpportunityStore;
  readonly training: TrainingService;
  readonly scheduler: Scheduler;
  readonly selfTraining: SelfTrainingCycles;
  readonly orchestration: OrchestrationService;
  readonly detector: OpportunityDetector;
  readonly activeLearning: ActiveLearning;
  readonly sessions: LearningSessions;
  readonly adjuster: ParameterAdjuster;
  readonly performance: PerformanceTracker;
  readonly metrics: TrainingMetrics;
  readonly subscriber: InteractionSubscriber;
  readonly evaluator: AdapterEvaluator;
  private readonly pendingEvaluations = new Set<Promise<unknown>>();
  readonly locks: SharedGpuLocks;
  /** Set when `resource_manager.endpoint` is configured: GPU jobs ask it before they run. */
  private readonly resourceManager?: ResourceManagerClient;
  private closing?: Promise<void>;

  constructor(private readonly ctx: SuiteContext) {
    const o = (this.options = readOptions(ctx.config, ctx.dataDir));
    const log = ctx.log;
    this.db = openDatabase(join(ctx.dataDir, 'adaptive_learning.db'), 'adaptive-learning');
    this.jobs = new JobStore(this.db);
    this.cycles = new CycleStore(this.db);
    this.opportunities = new OpportunityStore(this.db);
    const trainers = createTrainers(o);
    this.training = new TrainingService(this.jobs, trainers, o, ctx.dataDir);
    this.locks = new SharedGpuLocks(o.gpuLockDir, { vramMb: o.trainingVramMb, capacityMb: o.gpuCapacityMb, mode: o.gpuClaims });
    let gpuLocks: SharedGpuLocks | ResourceManagedLocks = this.locks;
    if (o.resourceManager) {
      this.resourceManager = new ResourceManagerClient(o.resourceManager.endpoint, o.resourceManager.timeoutMs, 'AdaptiveLearningSuite');
      gpuLocks = new ResourceManagedLocks(this.locks, this.resourceManager, o.trainingVramMb, log);
    }
    this.scheduler = new Scheduler(this.jobs, trainers, gpuLocks, this.training.prepare, {
      gpus: o.gpus, jobsDir: join(ctx.dataDir, 'jobs'), stallTimeoutMs: o.stallTimeoutMs, startupTimeoutMs: o.startupTimeoutMs, maxRuntimeMs: o.maxRuntimeMs,
      lockRetryMs: o.lockRetryMs, resumeInterrupted: o.resumeInterrupted, defaultTrainer: o.defaultTrainer,
    }, log);
    this.training.attach(this.scheduler);
    this.selfTraining = new SelfTrainingCycles(this.cycles, this.training, log);
    this.orchestration = new OrchestrationService(this.cycles, this.opportunities, this.training, o, ctx.dataDir, log);
    this.detector = new OpportunityDetector(
      this.opportunities,
      { threshold: o.scoringThreshold, categoryThreshold: o.categoryThreshold, bufferSize: o.bufferSize },
      (n) => this.orchestration.newOpportunity({ ...n, timestamp: undefined }),
      log,
    );
    this.activeLearning = new ActiveLearning(this.db, this.training, o, ctx.dataDir, log);
    this.sessions = new LearningSessions(o);
    this.adjuster = new ParameterAdjuster(this.db);
    this.performance = new PerformanceTracker(this.db, this.jobs, this.adjuster, log);
    this.metrics = new TrainingMetrics(ctx.metrics, this.jobs, {
      opportunities: () => this.opportunities.count(),
      queueLength: () => this.jobs.queued().length,
    });
    this.evaluator = new AdapterEvaluator(this.db, () => ctx.peerEndpoint('ModelManagerSuite'), { evaluationMs: o.evaluationTimeoutMs, requestMs: o.peerTimeoutMs }, log);
    this.subscriber = new InteractionSubscriber(o.interactionEndpoints, (source, msg) => this.ingestStream(source, msg), log);

    this.scheduler.on('transition', (job) => {
      this.metrics.onTransition(job);
      for (const [name, fn] of [
        ['sto', () => this.selfTraining.onJob(job)],
        ['los', () => this.orchestration.onJob(job)],
        ['performance', () => this.performance.onJob(job)],
      ] as const) {
        try {
          fn();
        } catch (err) {
          log.error({ err, job: job.id, listener: name }, 'job transition listener failed');
        }
      }
      const adapter = this.jobs.artifacts(job.id).adapter;
      if (o.evaluateAdapters && this.evaluator.applies(job, adapter)) {
        const p = this.evaluator.evaluate(job, adapter).catch((err) => log.error({ err, job: job.id }, 'adapter evaluation failed'));
        this.pendingEvaluations.add(p);
        void p.finally(() => this.pendingEvaluations.delete(p));
      }
      if (job.status === 'failed') {
        ctx.errors.report({ error_type: 'training_job_failed', message: `${job.id}: ${job.error}`, severity: 'warning', agent: 'LocalFineTunerAgent', details: { job_id: job.id } });
      }
    });
    this.scheduler.on('progress', (jobId: string, p) => {
      this.metrics.onProgress(jobId, p);
      this.selfTraining.onProgress(jobId, p.step, p.totalSteps, p.loss);
    });
  }

  start(): void {
    this.selfTraining.recover();
    this.scheduler.start();
    this.subscriber.start();
  }

  /** One interaction from a stream: detector buffer and active-learning filter. */
  ingestStream(source: string, msg: Record<string, unknown>): void {
    this.detector.enqueue(source, msg);
    this.activeLearning.consider(msg);
  }

  memoryHubEndpoint(): string | undefined {
    return this.ctx.peerEndpoint('MemoryHub');
  }

  /** Pulls stored conversation turns from MemoryHub and runs them through detector and active learning. */
  async importFromMemory(endpoint: string, limit: number, windowHours: number): Promise<Record<string, unknown>> {
    const { turns, exchanges } = await fetchMemoryExchanges(endpoint, { limit, windowHours, timeoutMs: this.options.peerTimeoutMs });
    let saved = 0;
    let duplicates = 0;
    let samples = 0;
    for (const it of exchanges) {
      const r = this.detector.analyzeNow('memory_hub', it);
      if (r.saved) saved++;
      if (r.duplicate) duplicates++;
      if (this.activeLearning.consider(it)) samples++;
    }
    return { turns, exchanges: exchanges.length, saved, duplicates, active_learning_samples: samples };
  }

  databaseOk(): boolean {
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      const steps: Array<() => unknown> = [
        () => this.subscriber.close(),
        () => this.detector.close(),
        () => this.scheduler.close(),
        () => this.resourceManager?.close(),
        () => this.locks.releaseAll(),
        () => this.metrics.close(),
        () => GroupCommit.for(this.db).flush(),
        () => this.db.close(),
      ];
      for (const s of steps) {
        try {
          await s();
        } catch (err) {
          this.ctx.log.warn({ err }, 'adaptive-learning close step failed');
        }
      }
    })());
  }
}

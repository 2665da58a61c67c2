import type { Agent, CollisionRule } from '../../runtime/Agent.js';
import { Suite, type SuiteContext, type SuiteHealth } from '../../runtime/Suite.js';
import { ActiveLearningMonitor } from '../../../agents/adaptive-learning/ActiveLearningMonitor.js';
import { AdaptiveLearningApi } from '../../../agents/adaptive-learning/AdaptiveLearningApi.js';
import { LearningAdjusterAgent } from '../../../agents/adaptive-learning/LearningAdjusterAgent.js';
import { LearningManager } from '../../../agents/adaptive-learning/LearningManager.js';
import { LearningOpportunityDetector } from '../../../agents/adaptive-learning/LearningOpportunityDetector.js';
import { LearningOrchestrationService } from '../../../agents/adaptive-learning/LearningOrchestrationService.js';
import { LocalFineTunerAgent } from '../../../agents/adaptive-learning/LocalFineTunerAgent.js';
import { SelfTrainingOrchestrator } from '../../../agents/adaptive-learning/SelfTrainingOrchestrator.js';
import { LearningServices } from './LearningServices.js';
import type { ClaimPolicy } from './scheduler/GpuLocks.js';

/** Main port before PORT_OFFSET (ARCHITECTURE.md); reported as `port` in health like legacy STO. */
const MAIN_PORT = 7012;

/**
 * AdaptiveLearningSuite (port 7012): the seven legacy learning agents over one job store,
 * scheduler and opportunity pipeline (issue 5).
 */
export class AdaptiveLearningSuite extends Suite {
  private services?: LearningServices;
  private agentList: Agent[] = [];

  constructor(ctx: SuiteContext) {
    super(ctx);
  }

  private get s(): LearningServices {
    if (!this.services) throw new Error('AdaptiveLearningSuite is not started');
    return this.services;
  }

  async start(): Promise<void> {
    const s = (this.services = new LearningServices(this.ctx));
    s.start();
    this.agentList = [
      new SelfTrainingOrchestrator(s),
      new LocalFineTunerAgent(s, this.ctx.dataDir),
      new LearningManager(s),
      new LearningOrchestrationService(s),
      new LearningOpportunityDetector(s),
      new ActiveLearningMonitor(s),
      new LearningAdjusterAgent(s),
      new AdaptiveLearningApi(s),
    ];
  }

  agents(): Agent[] {
    return this.agentList;
  }

  /** learning_suite.md §11; the rules are also written out in contracts/adaptive-learning/README.md. */
  override collisions(): CollisionRule[] {
    return [
      {
        action: 'get_status',
        pick: (p) => (p.job_id !== undefined ? 'LocalFineTunerAgent' : p.cycle_id !== undefined ? 'SelfTrainingOrchestrator' : undefined),
        fallback: 'SelfTrainingOrchestrator',
        rule: "job_id → LocalFineTunerAgent (reply key `job`); cycle_id → SelfTrainingOrchestrator (reply key `cycle`); neither → error \"'cycle_id'\"",
      },
      {
        action: 'get_stats',
        fallback: 'LearningOrchestrationService',
        rule: 'either agent answers with both keys: `metrics` (orchestrator counters) and `stats` (detector counters)',
      },
    ];
  }

  /**
   * LearningOpportunityDetector notified the orchestrator with `{opportunity_id, score, category}`
   * and no verb at all (learning_suite.md §6.4); treat it as new_learning_opportunity.
   */
  override inferAction(params: Record<string, unknown>): string | undefined {
    return params.opportunity_id !== undefined && params.score !== undefined ? 'new_learning_opportunity' : undefined;
  }

  /** A superset of every legacy health reply's keys (§11), so each old checker finds its fields. */
  override async health(): Promise<SuiteHealth> {
    const s = this.s;
    const dbOk = s.databaseOk();
    const counts = dbOk ? s.jobs.countByStatus() : {};
    const d = s.detector.stats;
    const al = s.activeLearning.stats;
    const lm = s.sessions;
    const los = s.orchestration.counters;
    return {
      status: dbOk ? 'ok' : 'degraded',
      name: 'AdaptiveLearningSuite',
      port: MAIN_PORT + this.ctx.portOffset,
      active_cycles: dbOk ? s.selfTraining.activeCount : 0,
      active_jobs: counts.running ?? 0,
      queued_jobs: counts.queued ?? 0,
      interrupted_jobs: counts.interrupted ?? 0,
      active_parameters: dbOk ? s.adjuster.count() : 0,
      database_status: dbOk ? 'ok' : 'error',
      components: { health_broadcast: false, scheduler: true, interaction_subscriber: s.options.interactionEndpoints.length > 0 },
      auto_train_ready: s.options.autoTrain && s.training.canTrain(s.options.baseModel),
      gpu_claims: { mode: s.options.gpuClaims, training_vram_mb: s.options.trainingVramMb, ...gpuClaimView(s.locks.policy()) },
      status_detail: 'active',
      processed_items: d.processed_items,
      sessions_managed: lm.sessionsManaged,
      active_sessions: lm.activeSessions,
      learning_rate: lm.learningRate,
      agent_specific_metrics: {
        uptime_sec: process.uptime(),
        status_detail: 'active',
        monitored_events: d.monitored_events,
        processed_items: d.processed_items,
        valuable_opportunities: d.valuable_opportunities,
        buffer_size: s.detector.bufferSize,
        opportunity_count: dbOk ? s.opportunities.count() : -1,
        high_value_samples: al.high_value,
        cycles_created: los.cycles_created,
        cycles_completed: los.cycles_completed,
        cycles_failed: los.cycles_failed,
        opportunities_received: los.opportunities_received,
        training_cycle_count: dbOk ? s.orchestration.trainingCycleCount() : -1,
        db_connected: dbOk,
        zmq_ready: true,
      },
    };
  }

  async close(): Promise<void> {
    await this.services?.close();
  }
}

export function createSuite(ctx: SuiteContext): Suite {
  return new AdaptiveLearningSuite(ctx);
}

function gpuClaimView(p: ClaimPolicy): Record<string, unknown> {
  return { claiming: p.claim, capacity_mb: p.capacityMb ?? null, capacity_source: p.source };
}

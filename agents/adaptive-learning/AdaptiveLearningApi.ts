import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply, errorReplyFrom } from '../../src/runtime/errors.js';
import * as C from '../../contracts/adaptive-learning/AdaptiveLearningSuite.js';
import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';
import { toInteraction } from '../../src/suites/adaptive-learning/opportunities/OpportunityDetector.js';

const text = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The namespaced API for new clients (ARCHITECTURE.md): training.start/stop/status,
 * opportunities.list/ingest, evaluate.performance. Same services as the legacy actions.
 */
export class AdaptiveLearningApi extends Agent {
  readonly name = 'AdaptiveLearningSuite';

  constructor(private readonly s: LearningServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const s = this.s;
    const t = s.training;
    return {
      'training.start': defineAction({
        params: C.trainingStart,
        reply: C.trainingStartReply,
        description: 'Start (or resume) a job by job_id, start a cycle by cycle_id, or create and start a job from model_id + data.',
        handler: (p) => {
          try {
            if (p.job_id) {
              const before = t.store.get(p.job_id);
              if (!before) return errorReply(`Job not found: ${p.job_id}`);
              const job = t.start(p.job_id, p.priority);
              return { status: 'success', job_id: job.id, state: job.status, resumed: before.status === 'interrupted' };
            }
            if (p.cycle_id) {
              if (s.cycles.getSto(p.cycle_id)) {
                const c = s.selfTraining.start(p.cycle_id);
                return { status: 'success', cycle_id: c.id, state: c.status, job_id: c.jobId };
              }
              const los = s.cycles.getLos(p.cycle_id);
              if (!los) return errorReply(`Cycle not found: ${p.cycle_id}`);
              if (los.job_id) return { status: 'success', cycle_id: los.cycle_id, job_id: los.job_id, state: t.store.get(los.job_id)?.status };
              const job = s.orchestration.maybeTrain(true);
              if (!job) return errorReply(`Cycle ${p.cycle_id} has no opportunity with known interaction data to train on`);
              return { status: 'success', cycle_id: p.cycle_id, job_id: job.id, state: t.store.get(job.id)!.status };
            }
            if (!p.model_id) return errorReply('training.start needs job_id, cycle_id, or model_id with data_path or examples');
            const { job_id: _j, cycle_id: _c, model_id, priority, gpu, trainer, action: _a, request_id: _r, ...config } = p as Record<string, unknown>;
            const job = t.createJob({ modelId: String(model_id), config, priority: priority as number | undefined, gpu: gpu === undefined ? null : String(gpu), trainer: trainer as string | undefined, source: 'training.start' });
            const queued = t.start(job.id);
            return { status: 'success', job_id: job.id, state: queued.status };
          } catch (err) {
            return errorReplyFrom(err);
          }
        },
      }),
      'training.stop': defineAction({
        params: C.trainingStop,
        reply: C.trainingStopReply,
        timeoutMs: 30_000,
        description: 'Cancel a job (its trainer process is killed) or stop a cycle.',
        handler: async (p) => {
          try {
            if (p.job_id) {
              if (!t.store.get(p.job_id)) return errorReply(`Job not found: ${p.job_id}`);
              const job = await t.cancel(p.job_id);
              return { status: 'success', job_id: job.id, state: job.status };
            }
            if (p.cycle_id) {
              if (s.cycles.getSto(p.cycle_id)) {
                const c = await s.selfTraining.stop(p.cycle_id);
                return { status: 'success', cycle_id: c.id, state: c.status };
              }
              const los = s.cycles.getLos(p.cycle_id);
              if (!los) return errorReply(`Cycle not found: ${p.cycle_id}`);
              if (!los.job_id) return errorReply(`Cycle ${p.cycle_id} has no job to stop`);
              const job = await t.cancel(los.job_id);
              return { status: 'success', cycle_id: p.cycle_id, job_id: job.id, state: job.status };
            }
            return errorReply('training.stop needs job_id or cycle_id');
          } catch (err) {
            return errorReplyFrom(err);
          }
        },
      }),
      'training.status': defineAction({
        params: C.trainingStatus,
        reply: C.trainingStatusReply,
        description: 'One job (job_id) or cycle (cycle_id) with progress, or the job list with queue order.',
        handler: (p) => {
          if (p.job_id) {
            const job = t.store.get(p.job_id);
            return job ? { status: 'success', job: t.jobView(job) } : errorReply(`Job not found: ${p.job_id}`);
          }
          if (p.cycle_id) {
            const sto = s.cycles.getSto(p.cycle_id);
            if (sto) return { status: 'success', cycle: s.selfTraining.view(sto), job: sto.jobId ? t.jobView(t.store.get(sto.jobId)!) : null };
            const los = s.cycles.getLos(p.cycle_id);
            if (!los) return errorReply(`Cycle not found: ${p.cycle_id}`);
            const job = los.job_id ? t.store.get(los.job_id) : undefined;
            return { status: 'success', cycle: los, job: job ? t.jobView(job) : null };
          }
          const jobs = t.store.list({ status: p.state ? [p.state] : undefined, limit: p.limit }).map((j) => t.jobView(j));
          // `gpus` lists GPUs only on a host that has one; the scheduler's slots (one job each) are
          // `training_slots` either way, and a CPU host trains on the CPU in those slots.
          const present = s.locks.gpuPresent();
          return {
            status: 'success',
            jobs,
            queue: t.store.queued().map((j) => j.id),
            running: s.scheduler.runningJobs(),
            device: present ? 'gpu' : 'cpu',
            gpu_present: present,
            gpus: present ? s.options.gpus : [],
            training_slots: s.options.gpus,
          };
        },
      }),
      'opportunities.list': defineAction({
        params: C.opportunitiesList,
        reply: C.opportunitiesListReply,
        description: 'Stored opportunities by score (optional category; include_processed=false for pending only).',
        handler: (p) => ({ status: 'success', opportunities: s.opportunities.top(p.limit, p.category, p.include_processed) }),
      }),
      'opportunities.ingest': defineAction({
        params: C.opportunitiesIngest,
        description: 'Analyse interactions now (detector scores, saved or not; active-learning selection).',
        handler: (p) => {
          const items: unknown[] = p.interactions ?? (p.interaction ? [p.interaction] : p.user_input !== undefined ? [p] : []);
          if (items.length === 0) return errorReply('opportunities.ingest needs interaction, interactions, or user_input + assistant_response');
          const results = items.map((raw, i) => {
            const it = toInteraction(raw);
            if (!it) return { index: i, error: 'needs user_input and assistant_response strings' };
            const r = s.detector.analyzeNow(String((raw as Record<string, unknown>).source ?? 'request'), it);
            const sample = s.activeLearning.consider(it);
            return { index: i, ...r, active_learning: sample ? { sample_id: sample.id, reason: sample.reason, status: sample.status } : null };
          });
          return { status: 'success', results };
        },
      }),
      'opportunities.import_memory': defineAction({
        params: C.opportunitiesImportMemory,
        timeoutMs: 30_000,
        description: "Read recent conversation turns from MemoryHub, pair user/assistant turns, and analyse them.",
        handler: async (p) => {
          const endpoint = s.memoryHubEndpoint();
          if (!endpoint) return errorReply('MemoryHub is not reachable: no peer endpoint configured for MemoryHub');
          try {
            return { status: 'success', ...(await s.importFromMemory(endpoint, p.limit, p.time_window)) };
          } catch (err) {
            return errorReply(`MemoryHub import failed: ${text(err)}`);
          }
        },
      }),
      'evaluate.performance': defineAction({
        params: C.evaluatePerformance,
        description: 'Job outcomes, loss figures, adapter evaluations and parameter suggestions.',
        handler: (p) => ({ status: 'success', ...s.performance.summary({ metricName: p.metric_name, modelId: p.model_id, limit: p.limit }) }),
      }),
    };
  }
}

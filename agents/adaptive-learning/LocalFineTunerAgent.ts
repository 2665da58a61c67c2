import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply, errorReplyFrom, replyCode } from '../../src/runtime/errors.js';
import * as C from '../../contracts/adaptive-learning/LocalFineTunerAgent.js';
import { keyError } from '../../contracts/adaptive-learning/common.js';
import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';
import { existsSync } from 'node:fs';

const text = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** LocalFineTunerAgent (learning_suite.md §3): fine-tuning jobs, now really trained by the scheduler. */
/** The code of a caught error (PATH_NOT_ALLOWED, ...) for a legacy-shaped error reply. */
const codeOf = (err: unknown): Record<string, string> => {
  const code = replyCode(err);
  return code ? { code } : {};
};

export class LocalFineTunerAgent extends Agent {
  readonly name = 'LocalFineTunerAgent';
  override readonly legacyPort = 5642;
  override readonly legacyHealthPort = 5643;

  constructor(private readonly s: LearningServices, private readonly dataDir: string) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const t = this.s.training;
    return {
      create_job: defineAction({
        params: C.createJob,
        onInvalid: keyError,
        description: 'Create a pending fine-tuning job; config is stored verbatim, its hyper-parameters are validated.',
        handler: (p) => {
          try {
            const job = t.createJob({ modelId: p.model_id, config: p.config, priority: p.priority, source: 'LocalFineTunerAgent' });
            return { status: 'success', job_id: job.id };
          } catch (err) {
            return errorReplyFrom(err);
          }
        },
      }),
      start_job: defineAction({
        params: C.startJob,
        onInvalid: keyError,
        description: 'Queue a job for a GPU (an interrupted job resumes from its last checkpoint).',
        handler: (p) => {
          const job = t.store.get(p.job_id);
          if (!job) return errorReply('Job not found');
          try {
            const resumed = job.status === 'interrupted';
            t.start(p.job_id);
            return { status: 'success', message: 'Job started', ...(resumed ? { resumed: true } : {}) };
          } catch (err) {
            return errorReplyFrom(err);
          }
        },
      }),
      get_status: defineAction({
        params: C.getJobStatus,
        description: 'Status of a job by job_id, with metrics, artifacts and live progress.',
        handler: (p) => {
          if (!p.job_id) return errorReply("'job_id'", { hint: 'get_status needs cycle_id (training cycle) or job_id (fine-tuning job)' });
          const job = t.store.get(p.job_id);
          if (!job) return errorReply('Job not found');
          return { status: 'success', job: t.legacyJobView(job), progress: t.progressView(job) };
        },
      }),
      trigger_finetune: defineAction({
        params: C.triggerFinetune,
        description: "ActiveLearningMonitor's request: create and start a job, reply status 'started' with job_id.",
        handler: (p) => {
          try {
            if (p.data_source) {
              // Confined first (PathNotAllowedError), so the reply never tells whether an outside file exists.
              const file = t.dataPath(p.data_source, 'data_source');
              if (!existsSync(file)) return { status: 'error', error: `data_source not found: ${p.data_source}` };
            }
            const job = this.s.activeLearning.trigger(p);
            return { status: 'started', job_id: job.id };
          } catch (err) {
            return { status: 'error', error: text(err), ...codeOf(err) };
          }
        },
      }),
    };
  }

  override health(): Record<string, unknown> {
    const counts = this.s.jobs.countByStatus();
    return { service: 'local_fine_tuner_agent', active_jobs: counts.running ?? 0, queued_jobs: counts.queued ?? 0 };
  }
}

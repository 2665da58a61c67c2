import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import * as C from '../../contracts/adaptive-learning/SelfTrainingOrchestrator.js';
import { keyError } from '../../contracts/adaptive-learning/common.js';
import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';

/** Legacy errors answered `{status, message}` with the exception text (learning_suite.md §2.2). */
function fail(err: unknown): Record<string, unknown> {
  return errorReply(err instanceof Error ? err.message : String(err));
}

/** SelfTrainingOrchestrator (learning_suite.md §2): resource-budgeted training cycles. */
export class SelfTrainingOrchestrator extends Agent {
  readonly name = 'SelfTrainingOrchestrator';
  override readonly legacyPort = 5660;
  override readonly legacyHealthPort = 5661;

  constructor(private readonly s: LearningServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const sto = this.s.selfTraining;
    return {
      create_cycle: defineAction({
        params: C.createCycle,
        onInvalid: keyError,
        description: 'Queue a training cycle that reserves resources (and trains when its config names model_id and data).',
        handler: (p) => {
          try {
            const c = sto.create(p.agent_id, p.config, p.priority);
            return { status: 'success', cycle_id: c.id };
          } catch (err) {
            return fail(err);
          }
        },
      }),
      start_cycle: defineAction({
        params: C.startCycle,
        onInvalid: keyError,
        description: 'Start a pending cycle if its resources are available.',
        handler: (p) => {
          try {
            sto.start(p.cycle_id);
            return { status: 'success', message: 'Cycle started' };
          } catch (err) {
            return fail(err);
          }
        },
      }),
      get_status: defineAction({
        params: C.getCycleStatus,
        description: 'Status of a cycle by cycle_id (job_id requests are routed to LocalFineTunerAgent).',
        handler: (p) => {
          if (!p.cycle_id) return errorReply("'cycle_id'", { hint: 'get_status needs cycle_id (training cycle) or job_id (fine-tuning job)' });
          const c = sto.get(p.cycle_id);
          if (!c) return errorReply('Cycle not found');
          return { status: 'success', cycle: sto.view(c) };
        },
      }),
    };
  }

  override health(): Record<string, unknown> {
    return { service: 'self_training_orchestrator', active_cycles: this.s.selfTraining.activeCount, available_resources: this.s.selfTraining.available() };
  }
}

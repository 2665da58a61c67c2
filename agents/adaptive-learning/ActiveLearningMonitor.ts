import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import * as C from '../../contracts/adaptive-learning/ActiveLearningMonitor.js';
import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';

/**
 * ActiveLearningMonitor (learning_suite.md §7). Legacy exposed only health; its sample selection
 * runs on the shared interaction stream. New, namespaced: list the samples waiting for a label and
 * label them (the corrected answer becomes the training target).
 */
export class ActiveLearningMonitor extends Agent {
  readonly name = 'ActiveLearningMonitor';
  override readonly legacyPort = 5638;
  override readonly legacyHealthPort = 5639;

  constructor(private readonly s: LearningServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const al = this.s.activeLearning;
    return {
      'active_learning.samples': defineAction({
        params: C.listSamples,
        description: 'High-value samples (status needs_label | ready | labeled | used).',
        handler: (p) => ({ status: 'success', samples: al.list(p.status, p.limit) }),
      }),
      'active_learning.label': defineAction({
        params: C.labelSample,
        description: 'Give a sample its corrected answer.',
        handler: (p) => {
          try {
            return { status: 'success', sample: al.label(p.sample_id, p.label) };
          } catch (err) {
            return errorReply((err as Error).message);
          }
        },
      }),
    };
  }

  override health(): Record<string, unknown> {
    return { ...this.s.activeLearning.stats, training_data: this.s.activeLearning.trainingDataStats() };
  }
}

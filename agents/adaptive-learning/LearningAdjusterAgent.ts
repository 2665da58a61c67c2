import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import * as C from '../../contracts/adaptive-learning/LearningAdjusterAgent.js';
import { keyError } from '../../contracts/adaptive-learning/common.js';
import { AgentAnalyzer } from '../../src/suites/adaptive-learning/AgentAnalyzer.js';
import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';

const text = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * LearningAdjusterAgent (learning_suite.md §8, MainPC) plus the PC2 variant's two actions (§9):
 * parameter registry, performance log, correlation suggestions, and per-agent analysis.
 */
export class LearningAdjusterAgent extends Agent {
  readonly name = 'LearningAdjusterAgent';
  override readonly legacyPort = 5643;
  override readonly legacyHealthPort = 5644;
  private readonly analyzer: AgentAnalyzer;

  constructor(private readonly s: LearningServices) {
    super();
    const o = s.options;
    this.analyzer = new AgentAnalyzer({ performanceLogger: o.performanceLoggerEndpoint, trustScorer: o.trustScorerEndpoint, learningAgent: o.learningAgentEndpoint }, o.peerTimeoutMs);
  }

  actions(): Record<string, ActionDefinition> {
    const la = this.s.adjuster;
    return {
      register_parameter: defineAction({
        params: C.registerParameter,
        onInvalid: keyError,
        description: 'Register (upsert) a tunable parameter with bounds and a step size.',
        handler: (p) => {
          try {
            la.register(p.config);
            return { status: 'ok' };
          } catch (err) {
            return errorReply(text(err));
          }
        },
      }),
      adjust_parameter: defineAction({
        params: C.adjustParameter,
        onInvalid: keyError,
        description: 'Set a parameter to a value within its bounds.',
        handler: (p) => {
          if (la.adjust(p.parameter_name, p.new_value)) return { status: 'ok' };
          const cfg = la.get(p.parameter_name);
          return errorReply(cfg ? `${p.new_value} is outside [${cfg.min_value}, ${cfg.max_value}] for ${p.parameter_name}` : `Unknown parameter: ${p.parameter_name}`);
        },
      }),
      record_performance: defineAction({
        params: C.recordPerformance,
        onInvalid: keyError,
        description: 'Log a metric value with the parameter values in effect.',
        handler: (p) => {
          la.record(p.metric_name, p.value, p.parameters);
          return { status: 'ok' };
        },
      }),
      optimize_parameters: defineAction({
        params: C.optimizeParameters,
        onInvalid: keyError,
        description: 'Suggest one step per parameter from its correlation with the metric (not applied).',
        handler: (p) => {
          const adjustments = la.optimize(p.metric_name);
          if (!adjustments) return errorReply('No performance history available');
          return { status: 'success', adjustments };
        },
      }),
      analyze_agent: defineAction({
        params: C.analyzeAgent,
        timeoutMs: 20_000,
        description: "Analyse an agent's last 24 h of metrics (PerformanceLogger / AgentTrustScorer peers).",
        handler: async (p) => {
          if (!p.agent) return errorReply('Missing agent parameter');
          try {
            return await this.analyzer.analyze(p.agent);
          } catch (err) {
            return { ...errorReply(`Error analyzing agent performance: ${text(err)}`), suggestions: [] };
          }
        },
      }),
      apply_adjustment: defineAction({
        params: C.applyAdjustment,
        timeoutMs: 10_000,
        description: 'Forward an adjustment to the LearningAgent peer.',
        handler: async (p) => {
          if (!p.agent || !p.adjustment) return errorReply('Missing required parameters');
          try {
            await this.analyzer.apply(p.agent, p.adjustment);
            return { status: 'success', message: `Adjustment applied to agent ${p.agent}` };
          } catch (err) {
            return errorReply(`Error handling request: ${text(err)}`);
          }
        },
      }),
    };
  }

  override health(): Record<string, unknown> {
    return { service: 'learning_adjuster_agent', active_parameters: this.s.adjuster.count() };
  }
}

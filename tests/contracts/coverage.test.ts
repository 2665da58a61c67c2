import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { loadVectors } from '../helpers/vectors.js';
import { toSnakeCase } from '../../src/runtime/normalizeRequest.js';

/**
 * Ties the three pieces together: the legacy agents the architecture names, the handlers the suites
 * register, and the vectors in shared/legacy/vectors. Every agent must exist, every action must
 * validate its request against a schema, and every verb a vector sends to an agent must have a
 * handler on that agent (unless the vector expects "Unknown action").
 */
const SUITES: Record<string, { vectors: string; agents: string[] }> = {
  MemoryHub: {
    vectors: 'memory_hub.json',
    agents: ['MemoryClient', 'SessionMemoryAgent', 'KnowledgeBase', 'MemoryOrchestratorService', 'UnifiedMemoryReasoningAgent', 'ContextManager', 'ExperienceTracker', 'CacheManager'],
  },
  ModelManagerSuite: {
    vectors: 'model_manager.json',
    agents: ['GGUFModelManager', 'ModelManagerAgent', 'PredictiveLoader', 'ModelEvaluationFramework'],
  },
  AdaptiveLearningSuite: {
    vectors: 'learning_suite.json',
    agents: ['SelfTrainingOrchestrator', 'LocalFineTunerAgent', 'LearningManager', 'LearningOrchestrationService', 'LearningOpportunityDetector', 'ActiveLearningMonitor', 'LearningAdjusterAgent'],
  },
};

const HEALTH = new Set(['health', 'health_check', 'ping']);

for (const [suiteName, spec] of Object.entries(SUITES)) {
  test(`${suiteName}: every legacy agent is served, every action validated, every vector verb handled`, async () => {
    let s: TestSuite | undefined;
    try {
      s = await startTestSuite(suiteName, { config: { gpu: false } });
      const d = await s.call({ action: 'suite.describe' });
      const byAgent = new Map<string, Set<string>>();
      const unvalidated: string[] = [];
      for (const a of d.agents as Array<{ name: string; actions: Array<{ name: string; validated: boolean }> }>) {
        byAgent.set(a.name, new Set(a.actions.map((x) => x.name)));
        for (const x of a.actions) if (!x.validated) unvalidated.push(`${a.name}.${x.name}`);
      }
      for (const agent of spec.agents) assert.ok(byAgent.has(agent), `${agent} is registered in ${suiteName}`);
      assert.equal(unvalidated, [], `actions without a request schema: ${unvalidated.join(', ')}`);

      const missing: string[] = [];
      for (const v of loadVectors(spec.vectors)) {
        if (v.variant && v.variant !== 'intended') continue;
        const req = v.request ?? {};
        const verb = [req.action, req.command, req.request_type, req.type].find((x) => typeof x === 'string' && x) as string | undefined;
        if (!verb || HEALTH.has(verb.toLowerCase())) continue;
        const agent = String(v.agent ?? '').replace(/\s*\(.*$/, '');
        // Vectors addressed to the suite itself (collision routing) may land on any of its agents.
        const actions = agent === suiteName ? new Set([...byAgent.values()].flatMap((x) => [...x])) : byAgent.get(agent);
        if (!actions) continue; // BaseAgent(common), outbound messages, later consolidation attempts
        // A vector that only shows the agent refusing the verb (error status) does not ask for a handler.
        const refusal = v.expect.status_value === 'error' || /Unknown action/.test(JSON.stringify(v.expect));
        const handled = actions.has(verb) || actions.has(toSnakeCase(verb)) || actions.has(verb.toLowerCase());
        if (!handled && !refusal && req.type !== 'interaction') missing.push(`${agent}.${verb}`);
      }
      assert.equal([...new Set(missing)], [], `vector verbs with no handler: ${missing.join(', ')}`);
    } finally {
      await s?.close();
    }
  });
}

test.run();

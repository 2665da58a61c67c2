import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { agentsServedBy, LEGACY_HEALTH_PORTS } from '../../src/launcher/deprecatedAgents.js';
import { planLegacyListeners } from '../../src/runtime/legacyListeners.js';
import { SuiteHost } from '../../src/runtime/SuiteHost.js';
import { findSuite } from '../../src/suites/registry.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { freePorts, legacyPortOffset } from '../helpers/ports.js';

// The legacy per-agent checkers (check_mvs_health.py and friends) send {"action":"health_check"}
// to each old agent's own health port and call it healthy only on status "ok" (the strictest of
// them). With legacy_ports on, every agent of the three suites must pass.

const STRICT_OK = (r: Record<string, unknown>) => r.status === 'ok';

async function checker(suite: TestSuite, agent: string): Promise<Record<string, unknown>> {
  const port = LEGACY_HEALTH_PORTS[agent]! + suite.portOffset;
  return suite.call({ action: 'health_check' }, { endpoint: `tcp://127.0.0.1:${port}`, timeoutMs: 3000 });
}

const SUITE_CONFIG: Record<string, Record<string, unknown>> = {
  MemoryHub: {},
  ModelManagerSuite: { gpu: false, gpu_lock: { mode: 'off' }, models: [] },
  AdaptiveLearningSuite: {},
};

for (const name of ['MemoryHub', 'ModelManagerSuite', 'AdaptiveLearningSuite']) {
  test(`${name}: the legacy health checker finds every replaced agent healthy on its own health port`, async () => {
    // Real Redis: without it CacheManager reports "degraded", as the legacy agent did.
    const s = await startTestSuite(name, { legacyPorts: true, portOffset: 'random', config: SUITE_CONFIG[name] });
    try {
      for (const agent of s.host.router.listAgents()) {
        // The table the launcher checks ports with and the agents' own declarations agree.
        assert.is(agent.legacyHealthPort, LEGACY_HEALTH_PORTS[agent.name], `${agent.name}: legacyHealthPort`);
      }
      for (const agent of agentsServedBy(name)) {
        const r = await checker(s, agent);
        assert.ok(STRICT_OK(r), `${agent} on ${LEGACY_HEALTH_PORTS[agent]! + s.portOffset}: ${JSON.stringify(r)}`);
      }
      if (name === 'MemoryHub') {
        // ContextManager's 7112 is ExperienceTracker's main port (as in the legacy system): that one answers.
        assert.is((await checker(s, 'ExperienceTracker')).health_port, 7113);
        assert.is((await checker(s, 'ExperienceTracker')).service, 'ExperienceTracker');
        assert.is((await checker(s, 'MemoryClient')).service, 'MemoryClient');
        assert.is((await checker(s, 'CacheManager')).name, 'CacheManager');
        assert.is((await checker(s, 'UnifiedMemoryReasoningAgent')).service, 'unified_memory_reasoning_agent');
        assert.is((await checker(s, 'MemoryOrchestratorService')).message, 'MemoryOrchestratorService is healthy');
        // Any frame gets the health object, also one that is not JSON.
        const raw = await s.callRaw('ping', { endpoint: `tcp://127.0.0.1:${LEGACY_HEALTH_PORTS.KnowledgeBase! + s.portOffset}` });
        assert.is(raw.message, 'KnowledgeBase is healthy');
      }
      if (name === 'ModelManagerSuite') {
        const mma = (await checker(s, 'ModelManagerAgent')).details as Record<string, unknown>;
        assert.is(mma.status_message, 'Agent is operational.');
        assert.type(mma.uptime_seconds, 'number');
        assert.is((await checker(s, 'PredictiveLoader')).agent, 'PredictiveLoader');
        assert.match(String((await checker(s, 'PredictiveLoader')).timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        assert.is((await checker(s, 'GGUFModelManager')).message, 'GgufModelManager is healthy');
        assert.is((await checker(s, 'ModelEvaluationFramework')).service, 'ModelEvaluationFramework');
      }
      if (name === 'AdaptiveLearningSuite') {
        assert.is((await checker(s, 'LearningOrchestrationService')).message, 'LearningOrchestrationService is healthy');
      }
    } finally {
      await s.close();
    }
  });
}

test('a legacy health port that is a suite port is skipped with one log line naming both', async () => {
  const plan = planLegacyListeners(
    [{ name: 'ExperienceTracker', port: 7112, healthPort: 7113 }, { name: 'ContextManager', port: 7111, healthPort: 7112 }],
    0, [{ port: 7113, what: 'AdaptiveLearningSuite metrics' }],
  );
  assert.equal(plan.skipped, [
    { agent: 'ExperienceTracker', port: 7113, clashesWith: 'AdaptiveLearningSuite metrics' },
    { agent: 'ContextManager', port: 7112, clashesWith: "ExperienceTracker's legacy port" },
  ]);

  // A real suite whose own health port is SelfTrainingOrchestrator's legacy health port.
  const desc = findSuite('AdaptiveLearningSuite')!;
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => { lines.push(line); } });
  const dataRoot = mkdtempSync(join(tmpdir(), 'as-legacy-health-'));
  let host: SuiteHost | undefined;
  let offset = 0;
  try {
    for (let attempt = 0; attempt < 6 && !host; attempt++) {
      offset = legacyPortOffset();
      const [port, metricsPort] = (await freePorts(2)) as [number, number];
      const candidate = new SuiteHost({
        name: desc.name, slug: desc.slug, factory: await desc.load(), port, healthPort: LEGACY_HEALTH_PORTS.SelfTrainingOrchestrator! + offset,
        metricsPort, bindAddress: '127.0.0.1', legacyPorts: true, portOffset: offset, dataRoot, log,
        reservedPorts: [{ port: LEGACY_HEALTH_PORTS.LearningManager! + offset, what: 'ModelManagerSuite health' }],
      });
      try {
        await candidate.start();
        host = candidate;
      } catch (err) {
        if (!/in use|EADDRINUSE|bind/i.test((err as Error).message)) throw err;
      }
    }
    assert.ok(host, 'suite started');
    const skipped = lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => /legacy health port/.test(l.msg)).map((l) => l.msg);
    assert.equal(skipped.sort(), [
      `legacy health port ${5581 + offset} of LearningManager not bound: it is ModelManagerSuite health`,
      `legacy health port ${5643 + offset} of LocalFineTunerAgent not bound: it is LearningAdjusterAgent's legacy port`,
      `legacy health port ${5661 + offset} of SelfTrainingOrchestrator not bound: it is AdaptiveLearningSuite health`,
    ]);
  } finally {
    await host?.close();
    rmSync(dataRoot, { recursive: true, force: true });
  }
});

test.run();

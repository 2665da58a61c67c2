import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registerWithTwin } from '../../src/launcher/registerWithTwin.js';
import { startSdtDouble } from './sdtDouble.js';
import { freePort } from '../helpers/ports.js';
import type { ServiceSpec } from '../../src/launcher/types.js';

function spec(name: string, port: number): ServiceSpec {
  return {
    name, enabled: true, port, healthPort: port + 100, metricsPort: port + 2000, bindAddress: '127.0.0.1', host: '127.0.0.1',
    startupOrder: 1, dependencies: [], config: {}, legacyPorts: false, source: `services.${name}`,
  };
}

// Discovery by an old agent name must lead to a suite that answers that agent's actions: the
// hub registers its eight memory agents, not the four deprecated ones it has no handlers for.
test('a suite registers itself and exactly the legacy agents it answers for', async () => {
  const port = await freePort();
  const sdt = await startSdtDouble('127.0.0.1', port);
  try {
    const settings = { enabled: true, host: '127.0.0.1', port, timeoutMs: 2000 };
    const r = await registerWithTwin(spec('MemoryHub', 7010), settings, 'PC2', '10.0.0.2');
    assert.ok(r.ok, r.detail);
    const names = sdt.received.map((m) => m.agent_name);
    assert.equal(names, [
      'MemoryHub', 'MemoryClient', 'SessionMemoryAgent', 'KnowledgeBase', 'MemoryOrchestratorService',
      'UnifiedMemoryReasoningAgent', 'ContextManager', 'ExperienceTracker', 'CacheManager',
    ]);
    for (const absent of ['AuthenticationAgent', 'AgentTrustScorer', 'UnifiedUtilsAgent', 'ProactiveContextMonitor']) {
      assert.not.ok(names.includes(absent), `${absent} is not advertised`);
    }
    const first = sdt.received[1]!.registration_data as Record<string, unknown>;
    assert.equal([first.host, first.port, first.health_check_port], ['10.0.0.2', 7010, 7110]);

    sdt.received.length = 0;
    await registerWithTwin(spec('ModelManagerSuite', 7011), settings, 'MainPC', '10.0.0.1');
    assert.equal(sdt.received.map((m) => m.agent_name), ['ModelManagerSuite', 'GGUFModelManager', 'ModelManagerAgent', 'PredictiveLoader', 'ModelEvaluationFramework']);
  } finally {
    sdt.close();
  }
});

test.run();

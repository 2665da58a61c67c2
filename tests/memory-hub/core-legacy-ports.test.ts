import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite } from '../helpers/suiteHarness.js';

/**
 * With `legacy_ports` on, each old port sends all of its traffic to its one agent, so an unchanged
 * old client gets that agent's semantics (e.g. `health` on CacheManager's port is the CacheManager
 * health object, `health_check` on MemoryClient's port is the breaker report).
 */
test('memory-store agents answer on their legacy ports (shifted by the port offset)', async () => {
  const hub = await startTestSuite('MemoryHub', { legacyPorts: true, portOffset: 'random' });
  const offset = hub.portOffset;
  const at = (port: number) => ({ endpoint: `tcp://127.0.0.1:${port + offset}` });
  try {
    const add = await hub.call({ action: 'add_memory', data: { content: 'via 7140' } }, at(7140));
    assert.is(add.status, 'success');
    assert.is((await hub.call({ action: 'get_memory', data: { memory_id: add.memory_id } }, at(7140))).memory.content, 'via 7140');
    const mc = await hub.call({ action: 'health_check' }, at(5713));
    assert.is(mc.agent, 'MemoryClient');
    assert.is(mc.circuit_breaker.state, 'CLOSED');
    const cm = await hub.call({ action: 'health' }, at(7102));
    assert.is(cm.name, 'CacheManager');
    assert.is(cm.redis_available, true);
    const et = await hub.call({ action: 'health_check' }, at(7112));
    assert.is(et.service, 'ExperienceTracker');
    const tracked = await hub.call({ action: 'track_experience', content: 'legacy port' }, at(7112));
    assert.is(tracked.message, 'Memory stored successfully');
    // A verb of another agent on a legacy port is that port's agent's "unknown action".
    const wrong = await hub.call({ action: 'track_experience', content: 'x' }, at(7140));
    assert.is(wrong.status, 'error');
  } finally {
    await hub.close();
  }
});

test.run();

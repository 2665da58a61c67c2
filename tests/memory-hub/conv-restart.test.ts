import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { startTestSuite } from '../helpers/suiteHarness.js';

/** Restart the hub on the same data folder: sessions, facts, windows and UMRA state are all still there. */
test('conversation state survives a hub restart', async () => {
  const first = await startTestSuite('MemoryHub', { config: { conversation: { proactive_interval_s: 0 } } });
  const dataDir = first.dataDir;
  let sid = '';
  let factId = '';
  try {
    sid = (await first.call({ action: 'create_session', user_id: 'restart-user' })).session_id;
    await first.call({ action: 'add_interaction', session_id: sid, role: 'User', content: 'remember the wifi password is hunter2' });
    factId = (await first.call({ action: 'add_fact', topic: 'Wifi', content: 'The guest network is called Lobby' })).memory_id;
    await first.call({ action: 'add_to_context', text: 'Could you please water the plants?', speaker: 'ana' });
    await first.call({ action: 'update_twin', user_id: 'ana', twin_data: { likes: 'plants' } });
    await first.call({ action: 'add_interaction', session_id: 'ana_garden', interaction_type: 'user_query', content: 'when to water?' });
    await first.call({ action: 'add_error_pattern', error_type: 'disk', pattern: 'no space left', solution: 'Free some disk' });
  } finally {
    await first.close({ keepData: true });
  }
  const second = await startTestSuite('MemoryHub', { dataDir, config: { conversation: { proactive_interval_s: 0 } } });
  try {
    assert.equal((await second.call({ action: 'get_context', session_id: sid })).context, [{ role: 'User', content: 'remember the wifi password is hunter2' }]);
    assert.is((await second.call({ action: 'get_fact', topic: 'wifi' })).fact.memory_id, factId);
    assert.is((await second.call({ action: 'search_interactions', query: 'wifi password' })).results[0].parent_id, sid);
    const win = await second.call({ action: 'get_context', speaker: 'ana' });
    assert.is(win.context[0].text, 'Could you please water the plants?');
    assert.equal((await second.call({ action: 'get_twin', user_id: 'ana' })).twin, { likes: 'plants' });
    assert.match((await second.call({ action: 'get_context', session_id: 'ana_garden' })).context.conversation_summary, /when to water/);
    assert.is((await second.call({ action: 'get_error_solution', error_message: 'write failed: No space left on device' })).solution, 'Free some disk');
    const h = await second.call({ action: 'health', target_agent: 'UnifiedMemoryReasoningAgent' });
    assert.is(h.total_twins, 1);
    assert.is(h.total_error_patterns, 1);
  } finally {
    await second.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

// Opportunities from MemoryHub's stored conversation turns, over ZMQ between two running suites.

let hub: TestSuite;
let al: TestSuite;

test.before(async () => {
  hub = await startTestSuite('MemoryHub');
  al = await startTestSuite('AdaptiveLearningSuite', { redisUrl: false, peers: { MemoryHub: hub.endpoint }, config: { auto_train: false } });
});

test.after(async () => {
  await al?.close();
  await hub?.close();
});

test('user/assistant turns stored in MemoryHub are paired, scored and saved', async () => {
  const created = await hub.call({ action: 'create_session', target_agent: 'SessionMemoryAgent', user_id: 'u1', session_type: 'conversation' });
  assert.is(created.status, 'success', JSON.stringify(created));
  const sid = created.session_id;
  const add = (role: string, content: string) => hub.call({ action: 'add_interaction', target_agent: 'SessionMemoryAgent', session_id: sid, role, content });
  for (const [role, content] of [
    ['user', 'What is the capital of Australia?'],
    ['assistant', 'The capital of Australia is Sydney.'],
    ['user', "No, that's wrong, it's actually Canberra."],
    ['assistant', 'You are right, the capital is Canberra.'],
  ]) assert.is((await add(role!, content!)).status, 'success');

  const r = await al.call({ action: 'opportunities.import_memory' });
  assert.is(r.status, 'success', JSON.stringify(r));
  assert.is(r.turns, 4);
  assert.is(r.exchanges, 2);
  assert.is(r.saved, 1, 'the correction qualifies, the plain question does not');
  assert.is(r.active_learning_samples, 1);
  const top = (await al.call({ action: 'get_top_opportunities' })).opportunities;
  assert.is(top.length, 1);
  assert.is(top[0].category, 'explicit_correction');
  assert.is(top[0].source, 'LearningOpportunityDetector');

  const again = await al.call({ action: 'opportunities.import_memory' });
  assert.is(again.saved, 0);
  assert.is(again.duplicates, 1, 'importing twice does not store twice');
});

test('a missing MemoryHub is a clear error', async () => {
  const lonely = await startTestSuite('AdaptiveLearningSuite', { redisUrl: false });
  try {
    const r = await lonely.call({ action: 'opportunities.import_memory' });
    assert.is(r.status, 'error');
    assert.match(r.message, /no peer endpoint configured for MemoryHub/);
  } finally {
    await lonely.close();
  }
});

test.run();

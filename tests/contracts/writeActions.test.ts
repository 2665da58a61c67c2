import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ENVELOPE_FIELDS, WRITE_ACTIONS } from '../../contracts/writeActions.js';
import { schemaKeys } from '../../src/runtime/unknownFields.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

// The write audit: for every action that changes state, fields at the top level, under `data`
// or under `payload` are either applied (the one parameter view) or refused naming the field,
// never dropped behind a "success".

const CONFIG: Record<string, Record<string, unknown>> = {
  MemoryHub: {},
  ModelManagerSuite: { gpu: false, gpu_lock: { mode: 'off' }, models: [] },
  AdaptiveLearningSuite: {},
};
/** Verb shapes that change state; every action named like this must be in WRITE_ACTIONS (or listed here as a read). */
const WRITE_VERB = /(^|\.|_)(add|create|update|delete|set|put|store|track|record|log|register|unregister|load|unload|swap|start|stop|cache|invalidate|flush|clear|prune|merge|reset|reinforce|mark|adjust|apply|label|ingest|import|new|trigger|preload|touch|end)(_|$)/i;
/** Named like writes but only read (checked by hand in the audit). */
const READS = new Set(['ModelManagerAgent:model_request', 'ModelManagerAgent:PROCESS', 'ModelManagerAgent:SELECT_MODEL', 'ModelManagerAgent:select_model']);

const suites = new Map<string, TestSuite>();
test.before(async () => {
  for (const name of Object.keys(CONFIG)) suites.set(name, await startTestSuite(name, { redisUrl: false, config: CONFIG[name] }));
});
test.after(async () => {
  for (const s of suites.values()) await s.close();
});

test('every write action of the three suites is in the audit table, with an object schema the runtime can check', () => {
  const registered = new Set<string>();
  for (const s of suites.values()) {
    for (const { agent, action, def } of s.host.router.definitions()) {
      registered.add(`${agent.name}:${action}`);
      const listed = WRITE_ACTIONS[agent.name]?.[action] !== undefined;
      if (WRITE_VERB.test(action) && !READS.has(`${agent.name}:${action}`)) assert.ok(listed, `${agent.name}.${action} looks like a write but is not in contracts/writeActions.ts`);
      if (listed) assert.ok(schemaKeys(def.params), `${agent.name}.${action}: the schema is not an object, so unknown fields cannot be told`);
    }
  }
  for (const [agent, actions] of Object.entries(WRITE_ACTIONS)) {
    for (const action of Object.keys(actions)) assert.ok(registered.has(`${agent}:${action}`), `${agent}.${action} in the table is no registered action`);
  }
});

test('table: every write action refuses a field it does not take, at the top level, under data and under payload, naming it', async () => {
  let checked = 0;
  for (const s of suites.values()) {
    const agents = new Set(s.host.router.listAgents().map((a) => a.name));
    for (const [agent, actions] of Object.entries(WRITE_ACTIONS)) {
      if (!agents.has(agent)) continue;
      for (const [action, spec] of Object.entries(actions)) {
        if (spec.open) {
          checked += 3;
          continue;
        }
        const keys = schemaKeys(s.host.router.definitions().find((d) => d.agent.name === agent && d.action === action)!.def.params)!;
        for (const where of ['top', 'data', 'payload'] as const) {
          // An action whose own field is literally `data` (cache_memory's value) takes anything there.
          if (where !== 'top' && keys.includes(where)) {
            checked++;
            continue;
          }
          const extra = { zz_not_a_field: 'x' };
          const body = where === 'top' ? { ...extra } : { [where]: extra };
          const r = await s.call({ action, target_agent: agent, ...body });
          const label = `${agent}.${action} with zz_not_a_field ${where === 'top' ? 'at the top level' : `under ${where}`}`;
          assert.is(r.status, 'error', `${label}: ${JSON.stringify(r)}`);
          assert.is(r.code, 'UNKNOWN_FIELD', `${label}: ${JSON.stringify(r)}`);
          assert.match(r.message, where === 'top' ? /'zz_not_a_field'/ : new RegExp(`'zz_not_a_field' \\(under ${where}\\)`), label);
          assert.match(r.message, /nothing was changed/);
          checked++;
        }
      }
    }
  }
  assert.is(checked, 3 * Object.values(WRITE_ACTIONS).reduce((n, a) => n + Object.keys(a).length, 0));
  for (const f of ['action', 'request_id', 'source_agent', 'timestamp', 'target_agent', 'data', 'payload']) assert.ok(ENVELOPE_FIELDS.has(f));
});

test('update_memory applies fields from the top level, data or payload, and refuses an update that would change nothing', async () => {
  const hub = suites.get('MemoryHub')!;
  const add = await hub.call({ action: 'add_memory', data: { content: 'old text' } });
  const id = add.memory_id as string;
  const read = async () => (await hub.call({ action: 'get_memory', data: { memory_id: id } })).memory;
  // The issue's request: no data wrapper.
  assert.is((await hub.call({ action: 'update_memory', memory_id: id, content: 'new text' })).status, 'success');
  assert.is((await read()).content, 'new text');
  // The legacy integration test's client: payload.
  assert.is((await hub.call({ action: 'update_memory', payload: { memory_id: id, content: 'via payload', importance: 0.25 } })).status, 'success');
  assert.is((await read()).content, 'via payload');
  assert.is((await read()).importance, 0.25);
  // Legacy: data + update_data (update_data wins over a field beside it).
  assert.is((await hub.call({ action: 'update_memory', data: { memory_id: id, content: 'beside', update_data: { content: 'legacy' } } })).status, 'success');
  assert.is((await read()).content, 'legacy');
  // Nothing to change, or a field that cannot be changed: refused, naming what is wrong.
  const empty = await hub.call({ action: 'update_memory', memory_id: id });
  assert.is(empty.status, 'error');
  assert.match(empty.message, /^update_memory changed nothing: give at least one of content, /);
  const typo = await hub.call({ action: 'update_memory', memory_id: id, update_data: { contnet: 'x' } });
  assert.is(typo.status, 'error');
  assert.match(typo.message, /^update_memory changed nothing: update_data field 'contnet' cannot be updated/);
  const stray = await hub.call({ action: 'update_memory', memory_id: id, contnet: 'x' });
  assert.is(stray.code, 'UNKNOWN_FIELD');
  assert.match(stray.message, /update_memory does not take 'contnet'/);
  assert.is((await read()).content, 'legacy', 'refused updates changed nothing');
});

test('other writes read the same view: a fact and a kv value given under payload are stored', async () => {
  const hub = suites.get('MemoryHub')!;
  const fact = await hub.call({ action: 'add_fact', payload: { topic: 'audit', content: 'payload fact' } });
  assert.is(fact.status, 'success', JSON.stringify(fact));
  const got = await hub.call({ action: 'get_fact', payload: { topic: 'audit' } });
  assert.match(JSON.stringify(got), /payload fact/);
  const set = await hub.call({ action: 'kv.set', payload: { key: 'audit-k', value: { n: 1 } } });
  assert.is(set.status, 'success', JSON.stringify(set));
  assert.equal((await hub.call({ action: 'kv.get', data: { key: 'audit-k' } })).value, { n: 1 });
});

test.run();

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { planEviction, type BudgetEntry } from '../../src/suites/model-manager/memoryBudget.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

/**
 * The memory budget: which models a load evicts (LRU, only as many as needed, never pinned, busy or
 * more important ones), idle unload after each model's timeout, and hot swap.
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';

const entry = (id: string, mb: number, lastUsed: number, extra: Partial<BudgetEntry> = {}): BudgetEntry => ({
  id,
  mb,
  priority: 5,
  pinned: false,
  inUse: false,
  lastUsed,
  ...extra,
});

test('planEviction: fits without eviction when free space suffices', () => {
  const p = planEviction({ requiredMb: 30, capacityMb: 100, loaded: [entry('a', 40, 1), entry('b', 20, 2)], requesterPriority: 5 });
  assert.equal({ fits: p.fits, victims: p.victims }, { fits: true, victims: [] });
});

test('planEviction: least recently used first, and only as many as needed (free space counts)', () => {
  const loaded = [entry('a', 30, 300), entry('b', 30, 100), entry('c', 30, 200)];
  // 10 free; needs 35 → evicting b (oldest, 30) gives 40 ≥ 35: c stays.
  const p = planEviction({ requiredMb: 35, capacityMb: 100, loaded, requesterPriority: 5 });
  assert.equal(p.victims, ['b']);
  const p2 = planEviction({ requiredMb: 60, capacityMb: 100, loaded, requesterPriority: 5 });
  assert.equal(p2.victims, ['b', 'c']);
});

test('planEviction: pinned, busy and more important models are never victims', () => {
  const loaded = [entry('pinned', 40, 1, { pinned: true }), entry('busy', 30, 2, { inUse: true }), entry('vip', 20, 3, { priority: 1 }), entry('low', 10, 4)];
  const p = planEviction({ requiredMb: 10, capacityMb: 100, loaded, requesterPriority: 3 });
  assert.equal(p.victims, ['low']);
  const refused = planEviction({ requiredMb: 50, capacityMb: 100, loaded, requesterPriority: 3 });
  assert.is(refused.fits, false);
  assert.match(refused.reason!, /pinned/);
  assert.match(refused.reason!, /in use/);
  assert.match(refused.reason!, /higher priority/);
  // an important requester may evict the less important vip? no: vip (1) is more important than 3, but not than 1
  const byVip = planEviction({ requiredMb: 30, capacityMb: 100, loaded, requesterPriority: 1 });
  assert.equal(byVip.victims, ['vip', 'low']);
  assert.is(planEviction({ requiredMb: 150, capacityMb: 100, loaded: [], requesterPriority: 5 }).fits, false);
});

let s: TestSuite;

test.before(async () => {
  const path = await ensureTinyModel();
  // A larger synthetic model so one generation lasts long enough to probe health during it.
  const slowPath = await ensureTinyModel({ spec: { blocks: 4, embd: 256, heads: 8, kvHeads: 4, ff: 512 } });
  const m = (id: string, extra: Record<string, unknown> = {}) => ({ id, path, context_size: 128, threads: 1, sequences: 1, estimated_vram_mb: 40, ...extra });
  s = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: {
      gpu: false,
      budget: { mb: 100 },
      idle_check_interval_ms: 100,
      models: [
        m('a'),
        m('b'),
        m('c'),
        m('pinned', { pinned: true }),
        m('vip', { priority: 1 }),
        m('idle', { idle_timeout_seconds: 0.3, estimated_vram_mb: 10 }),
        m('idle-pinned', { idle_timeout_seconds: 0.3, estimated_vram_mb: 10, pinned: true }),
        { id: 'slow', path: slowPath, context_size: 512, threads: 1, sequences: 1, estimated_vram_mb: 50 },
      ],
    },
  });
});

test.after(async () => {
  await s?.close();
});

const loaded = async () => Object.keys((await s.call({ command: 'GET_LOADED_MODELS_STATUS' })).loaded_models).sort();
const unloadAll = async () => {
  for (const id of await loaded()) await s.call({ action: 'unload_model', model_id: id });
};

test('a load beyond the budget evicts the least recently used model, not the recently used one', async () => {
  assert.is((await s.call({ action: 'load_model', model_id: 'a' })).loaded, true);
  assert.is((await s.call({ action: 'load_model', model_id: 'b' })).loaded, true);
  // a is used after b was loaded: b becomes the LRU
  assert.is((await s.call({ action: 'generate_text', model_id: 'a', prompt: 'hi', max_tokens: 2, seed: 1 })).status, 'success');
  const r = await s.call({ action: 'models.load', model_id: 'c' });
  assert.is(r.status, 'success');
  assert.equal(r.evicted, ['b']);
  assert.equal(await loaded(), ['a', 'c']);
  const budget = await s.call({ command: 'GET_LOADED_MODELS_STATUS' });
  assert.is(budget.total_vram_mb, 100);
  assert.is(budget.total_vram_used_mb, 80);
  const metrics = await s.metricsText();
  assert.match(metrics, /model_manager_evictions_total\{[^}]*model="b"[^}]*\} 1/);
  assert.match(metrics, /model_manager_loaded_models\{[^}]*\} 2/);
  assert.match(metrics, /model_manager_budget_mb\{[^}]*kind="total"[^}]*\} 100/);
  assert.match(metrics, /model_manager_generated_tokens_total\{[^}]*model="a"[^}]*\} [1-9]/);
  // gpu_lock.mode 'auto' on a CPU budget: no claims in the shared GPU lock folder
  const lockDir = join(s.dataDir, 'locks', 'gpu');
  assert.equal(existsSync(lockDir) ? readdirSync(lockDir).filter((f) => f.endsWith('.gpulock')) : [], []);
  await unloadAll();
});

test('a pinned model is never evicted; when nothing evictable is left the load fails clearly', async () => {
  await s.call({ action: 'load_model', model_id: 'pinned' });
  await s.call({ action: 'load_model', model_id: 'a' });
  const r = await s.call({ action: 'models.load', model_id: 'b' });
  assert.equal(r.evicted, ['a']);
  assert.equal(await loaded(), ['b', 'pinned']);
  // vip (priority 1) may evict b but not the pinned model
  const v = await s.call({ action: 'models.load', model_id: 'vip' });
  assert.equal(v.evicted, ['b']);
  // now only pinned + vip remain: a (priority 5) cannot evict either
  const refused = await s.call({ action: 'load_model', model_id: 'a' });
  assert.is(refused.status, 'error');
  assert.is(refused.loaded, false);
  assert.is(refused.code, 'INSUFFICIENT_MEMORY');
  assert.match(refused.error, /pinned/);
  assert.equal(await loaded(), ['pinned', 'vip']);
  await unloadAll();
});

test('idle models unload after their timeout; pinned ones stay', async () => {
  await s.call({ action: 'load_model', model_id: 'idle' });
  await s.call({ action: 'load_model', model_id: 'idle-pinned' });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (await loaded()).includes('idle')) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await loaded(), ['idle-pinned']);
  await unloadAll();
});

test('hot swap replaces one model by another under the lifecycle lock', async () => {
  await s.call({ action: 'load_model', model_id: 'a' });
  await s.call({ action: 'load_model', model_id: 'b' });
  const r = await s.call({ action: 'models.swap', from: 'a', to: 'c' });
  assert.equal(r, { status: 'success', unloaded: 'a', loaded: 'c' });
  assert.equal(await loaded(), ['b', 'c']);
  const failed = await s.call({ action: 'models.swap', from: 'c', to: 'no-such' });
  assert.is(failed.status, 'error');
  assert.is(failed.restored, true, 'the old model is loaded back when the new one fails');
  assert.equal(await loaded(), ['b', 'c']);
  await unloadAll();
});

test('health answers while a generation runs', async () => {
  let done = false;
  const gen = s
    .call({ action: 'generate_text', model_id: 'slow', prompt: 'Once upon a time', max_tokens: 400, temperature: 0.9, seed: 9 }, { timeoutMs: 50_000 })
    .finally(() => (done = true));
  let answeredDuring = 0;
  let sawActive = false;
  while (!done) {
    const h = await s.callHealth();
    assert.is(h.status, 'ok');
    const st = await s.call({ command: 'GET_LOADED_MODELS_STATUS' });
    if (!done) answeredDuring++;
    if (st.loaded_models.slow?.is_active) sawActive = true;
    await new Promise((r) => setTimeout(r, 20));
  }
  const r = await gen;
  assert.is(r.status, 'success');
  assert.ok(sawActive, 'status reported the model busy while it generated');
  assert.ok(answeredDuring >= 1, 'health and status answered while the generation ran');
  await unloadAll();
});

test.run();

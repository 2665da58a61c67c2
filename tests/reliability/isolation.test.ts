import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { ZmqClient } from '../../src/transport/ZmqClient.js';
import { spawnSuite, type SuiteProcess } from '../helpers/suiteProcess.js';
import { call, percentile, sleep, timed, waitFor } from './reliabilityKit.js';

// Isolation (issue 10): a long generation (ModelManagerSuite, a ~100 MB synthetic model, thousands
// of tokens) and a LoRA training run (AdaptiveLearningSuite builtin-lora) do not stall health
// probes or MemoryHub cache hits. p99 over PROBES rounds during the heavy work vs idle. The bound
// is 250 ms by default (ISOLATION_P99_MS to change it), loose on purpose because CI runs two test
// files at once on two shared cores and the generation itself takes one of them: measured alone
// the busy p99 is 2–12 ms (see docs/RELIABILITY.md), but with the fuzz test beside it in a CI run
// (2026-12-07) the main-socket ping's p99 reached 107 ms (idle p99 18 ms), over the earlier 100 ms
// bound. The figures printed are the point; a blocked event loop shows up as whole seconds (one
// generation here lasts 1–20 s).

process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
const PROBES = Number(process.env.ISOLATION_PROBES ?? 200);
const BOUND_MS = Number(process.env.ISOLATION_P99_MS ?? 250);
const dir = mkdtempSync(join(tmpdir(), 'as-isolation-'));
const clients: ZmqClient[] = [];
let hub: SuiteProcess;
let mm: SuiteProcess | undefined;
let al: SuiteProcess | undefined;

function yamlFor(suite: string, config: Record<string, unknown>): string {
  const file = join(dir, `${suite}.yaml`);
  // JSON is valid YAML.
  writeFileSync(file, JSON.stringify({ schema_version: 1, machine: 'test', services: { [suite]: { enabled: true, port: 1, health_port: 2, metrics_port: 3, config } } }));
  return file;
}

const client = (endpoint: string) => {
  const c = new ZmqClient(endpoint, { timeoutMs: 5000 });
  clients.push(c);
  return c;
};

type Probe = { name: string; run: () => Promise<unknown> };

/** PROBES rounds of every probe, 15 ms apart; latencies per probe name. */
async function measure(probes: Probe[]): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(probes.map((p) => [p.name, []]));
  for (let i = 0; i < PROBES; i++) {
    for (const p of probes) out[p.name]!.push(await timed(p.run));
    await sleep(15);
  }
  return out;
}

function summarise(label: string, idle: Record<string, number[]>, busy: Record<string, number[]>): void {
  for (const name of Object.keys(idle)) {
    const f = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(2)} / p99 ${percentile(xs, 99).toFixed(2)} / max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`${label} · ${name}: idle ${f(idle[name]!)} | during ${f(busy[name]!)}`);
    assert.ok(percentile(busy[name]!, 99) < BOUND_MS, `${name} p99 ${percentile(busy[name]!, 99).toFixed(1)} ms during ${label} (bound ${BOUND_MS} ms)`);
  }
}

test.before(async () => {
  hub = await spawnSuite('MemoryHub');
  const h = client(hub.endpoint);
  assert.is((await h.request({ action: 'put', cache_type: 'tool_responses', key: 'probe', value: { cached: true } })).status, 'success');
});

test.after(async () => {
  for (const c of clients) c.close();
  await Promise.allSettled([hub?.stop(), mm?.stop(), al?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const cacheHit = (): Probe => {
  const h = client(hub.endpoint);
  return {
    name: 'MemoryHub cache hit',
    run: async () => {
      const r = await h.request({ action: 'get', cache_type: 'tool_responses', key: 'probe' });
      if (r.status !== 'success') throw new Error(`cache miss: ${JSON.stringify(r)}`);
    },
  };
};

test('a long generation does not raise health-probe or cache-hit p99', async () => {
  const model = await ensureTinyModel({ spec: { blocks: 8, embd: 512, heads: 8, kvHeads: 4, ff: 1536, contextLength: 8192 } });
  mm = await spawnSuite('ModelManagerSuite', {
    config: yamlFor('ModelManagerSuite', {
      gpu: false,
      budget: { mb: 2000 },
      gpu_lock: { mode: 'off' },
      models: [{ id: 'big', path: model, context_size: 8192, threads: 1, sequences: 1, estimated_vram_mb: 200 }],
    }),
  });
  assert.is((await call(mm.endpoint, { action: 'load_model', model_id: 'big' }, 60_000)).status, 'success');
  const health = client(mm.healthEndpoint);
  const main = client(mm.endpoint);
  const probes: Probe[] = [
    { name: 'ModelManagerSuite health socket', run: () => health.request({ action: 'health_check' }) },
    { name: 'ModelManagerSuite main socket ping', run: () => main.request({ action: 'ping' }) },
    cacheHit(),
  ];
  const idle = await measure(probes);

  // Generations back to back for the whole probe window (each thousands of tokens, seconds long).
  const gen = client(mm.endpoint);
  let stop = false;
  const runs: Array<{ ms: number; chars: number }> = [];
  const driver = (async () => {
    while (!stop) {
      const t0 = Date.now();
      const reply = await gen.request({ action: 'generate_text', model_id: 'big', prompt: 'Tell a long story.', max_tokens: 3000, temperature: 0.8 }, { timeoutMs: 120_000 });
      if (reply.status !== 'success') throw new Error(`generation failed: ${JSON.stringify(reply).slice(0, 300)}`);
      runs.push({ ms: Date.now() - t0, chars: String(reply.text ?? '').length });
    }
  })();
  await sleep(500);
  const busy = await measure(probes);
  stop = true;
  await driver;
  console.log(`generations during the probes: ${runs.map((r) => `${r.ms} ms / ${r.chars} chars`).join(', ')}`);
  summarise('generation', idle, busy);
  await mm.stop();
  mm = undefined;
});

test('a LoRA training run does not raise health-probe or cache-hit p99', async () => {
  const tiny = await ensureTinyModel();
  al = await spawnSuite('AdaptiveLearningSuite', {
    config: yamlFor('AdaptiveLearningSuite', { models: { tiny }, default_trainer: 'builtin-lora', stall_timeout_s: 120, lock_retry_ms: 100, evaluate_adapters: false }),
  });
  const health = client(al.healthEndpoint);
  const main = client(al.endpoint);
  const probes: Probe[] = [
    { name: 'AdaptiveLearningSuite health socket', run: () => health.request({ action: 'health_check' }) },
    { name: 'AdaptiveLearningSuite training.status', run: () => main.request({ action: 'training.status', limit: 5 }) },
    cacheHit(),
  ];
  const idle = await measure(probes);
  const examples = Array.from({ length: 40 }, (_, i) => ({ text: `Example sentence number ${i} about isolation of heavy work from probes.` }));
  const started = await call(al.endpoint, { action: 'training.start', model_id: 'tiny', examples, steps: 1_000_000, seq_len: 64, checkpoint_every: 1_000_000 });
  assert.is(started.status, 'success', JSON.stringify(started));
  await waitFor('training running', async () => {
    const j = (await call(al!.endpoint, { action: 'training.status', job_id: started.job_id })).job;
    return j.state === 'running' && j.progress.step > 0;
  }, 60_000, 100);
  const busy = await measure(probes);
  const job = (await call(al.endpoint, { action: 'training.status', job_id: started.job_id })).job;
  assert.is(job.state, 'running', 'training was still running when the probes ended');
  console.log(`training: step ${job.progress.step}, ${Number(job.progress.tokens_per_second ?? 0).toFixed(0)} tokens/s`);
  await call(al.endpoint, { action: 'training.stop', job_id: started.job_id }, 30_000);
  summarise('training', idle, busy);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startErrorBus } from '../../src/errorbus/ErrorBus.js';
import { createLogger } from '../../src/runtime/logger.js';
import { freePort, freePorts } from '../helpers/ports.js';
import { spawnSuite, type SuiteProcess } from '../helpers/suiteProcess.js';
import { call, waitFor } from './reliabilityKit.js';

// Error bus down or absent (issue 10): real suites keep serving, and errors are still logged and
// counted (agent_suites_error_reports_total) when nothing listens at ERROR_BUS_ENDPOINT.

async function metric(proc: SuiteProcess, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${proc.ports.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + '{') && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

test('AdaptiveLearningSuite with ERROR_BUS_ENDPOINT at a dead port: serves, failed jobs are logged and counted', async () => {
  const dead = await freePort();
  const proc = await spawnSuite('AdaptiveLearningSuite', { env: { ERROR_BUS_ENDPOINT: `tcp://127.0.0.1:${dead}` } });
  try {
    // A job whose data file does not exist fails at preparation; the suite reports it to the bus.
    const started = await call(proc.endpoint, { action: 'training.start', model_id: 'tiny', data_path: 'missing/data.jsonl' });
    assert.is(started.status, 'success', JSON.stringify(started));
    await waitFor('the job to fail', async () => (await call(proc.endpoint, { action: 'training.status', job_id: started.job_id })).job.state === 'failed');
    const reports = await waitFor('the report to be counted', () => metric(proc, 'agent_suites_error_reports_total', 'error_type="training_job_failed"'), 10_000);
    assert.ok(reports >= 1);
    assert.match(proc.output(), /training_job_failed/, 'the report is in the log');
    // Still serving, promptly.
    for (let i = 0; i < 20; i++) {
      const t0 = Date.now();
      const r = await call(proc.endpoint, { action: 'create_cycle', agent_id: `BusDown${i}`, priority: 1, config: { resources: { gpu: 10 } } }, 2000);
      assert.is(r.status, 'success', JSON.stringify(r));
      assert.ok(Date.now() - t0 < 2000);
    }
    assert.is((await proc.health()).status, 'ok');
    assert.is(proc.child.exitCode, null);
  } finally {
    await proc.stop();
  }
});

test('MemoryHub: the bus goes away mid-run → requests keep being answered, error replies still counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'as-busdown-'));
  const [xsubPort, xpubPort] = (await freePorts(2)) as [number, number];
  const bus = await startErrorBus({ xsubPort, xpubPort, bindAddress: '127.0.0.1', dbFile: join(dir, 'errors.db'), log: createLogger('bus') });
  let busOpen = true;
  const proc = await spawnSuite('MemoryHub', { env: { ERROR_BUS_ENDPOINT: `tcp://127.0.0.1:${xsubPort}` } });
  try {
    const before = await metric(proc, 'agent_suites_errors_total', 'action="get_memory"');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      if (i === 3) {
        await bus.close();
        busOpen = false;
      }
      const r = await call(proc.endpoint, { action: 'add_memory', data: { content: `bus down ${i}` } }, 3000);
      assert.is(r.status, 'success');
      ids.push(r.memory_id);
      const miss = await call(proc.endpoint, { action: 'get_memory', data: { memory_id: `no-such-${i}` } }, 3000);
      assert.is(miss.status, 'error');
    }
    const got = await call(proc.endpoint, { action: 'batch_get_memories', data: { memory_ids: ids } });
    assert.is(got.count, ids.length);
    assert.is((await metric(proc, 'agent_suites_errors_total', 'action="get_memory"')) - before, 10);
    assert.ok(['ok', 'degraded'].includes((await proc.health()).status));
  } finally {
    await proc.stop();
    if (busOpen) await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

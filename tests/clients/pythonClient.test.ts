import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSuite, startTinyModelManager, type TestSuite } from '../helpers/suiteHarness.js';

/**
 * The Python client (clients/python) against real suites: this file starts MemoryHub,
 * ModelManagerSuite (tiny model) and AdaptiveLearningSuite, runs clients/python/tests/run.py with
 * their endpoints, and turns each Python test into a uvu test, so they count in the runner's
 * "N passed, N failed" line. The interpreter is the first of $AGENT_SUITES_PYTHON,
 * /usr/bin/python3 (where Debian's python3-zmq installs) and python3 that can import zmq.
 */
const root = new URL('../..', import.meta.url).pathname;
const runner = join(root, 'clients/python/tests/run.py');

function findPython(): string | undefined {
  const candidates = [process.env.AGENT_SUITES_PYTHON, '/usr/bin/python3', 'python3'].filter((x): x is string => !!x);
  return candidates.find((py) => spawnSync(py, ['-c', 'import zmq'], { stdio: 'ignore' }).status === 0);
}

interface PyResult {
  name: string;
  outcome: 'passed' | 'failed' | 'skipped';
  detail: string;
}

function runPython(python: string, env: Record<string, string>): Promise<{ results: PyResult[]; output: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(python, [runner], { cwd: root, env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const results = output
        .split('\n')
        .filter((l) => l.startsWith('RESULT '))
        .map((l) => JSON.parse(l.slice(7)) as PyResult);
      resolve({ results, output, code });
    });
  });
}

const python = findPython();
if (!python) {
  test('python client: an interpreter with pyzmq', () => {
    assert.unreachable('no python3 can import zmq: apt-get install python3-zmq (Debian), or set AGENT_SUITES_PYTHON');
  });
} else {
  const mmData = mkdtempSync(join(tmpdir(), 'as-pyclient-'));
  const suites: TestSuite[] = [];
  let run: Awaited<ReturnType<typeof runPython>>;
  try {
    const hub = await startTestSuite('MemoryHub');
    suites.push(hub);
    const mm = await startTinyModelManager(mmData);
    suites.push(mm);
    const al = await startTestSuite('AdaptiveLearningSuite', { redisUrl: false });
    suites.push(al);
    run = await runPython(python, {
      AGENT_SUITES_MEMORYHUB: hub.endpoint,
      AGENT_SUITES_MEMORYHUB_HEALTH: hub.healthEndpoint,
      AGENT_SUITES_MODELMANAGER: mm.endpoint,
      AGENT_SUITES_ADAPTIVELEARNING: al.endpoint,
    });
  } finally {
    for (const s of suites.reverse()) await s.close().catch(() => {});
    rmSync(mmData, { recursive: true, force: true });
  }

  test('python client: the test run reported its tests', () => {
    assert.ok(run.results.length >= 10, `${run.results.length} results from ${python} (exit ${run.code}):\n${run.output.slice(-3000)}`);
  });
  for (const r of run.results) {
    test(`python client: ${r.name}`, () => {
      assert.is(r.outcome, 'passed', `${r.outcome}: ${r.detail}`);
    });
  }
}

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSuite } from '../helpers/suiteProcess.js';
import { runFuzz } from '../../scripts/reliability/runFuzz.js';

// 10,000 malformed frames per suite (issue 10), each suite a real child process.
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 10_000);
const SUITES = (process.env.FUZZ_SUITES ?? 'ExampleSuite,MemoryHub,ModelManagerSuite,AdaptiveLearningSuite').split(',');

for (const name of SUITES) {
  test(`${name}: ${FRAMES} malformed frames are all answered, no crash, memory settles`, async () => {
    const proc = await spawnSuite(name, { extraSuites: ['tests/fixtures/example-suite/ExampleSuite.ts'] });
    try {
      const result = await runFuzz(proc.endpoint, { count: FRAMES, concurrency: 32, seed: 7, sampleRss: () => proc.rss() });
      assert.is(result.sent, FRAMES);
      assert.is(result.unanswered, 0, `unanswered: ${result.unanswered}; ${JSON.stringify(result.byStatus)}`);
      assert.is(proc.child.exitCode, null, 'suite still running');
      const h = await proc.health();
      assert.ok(['ok', 'degraded'].includes(h.status));
      // Memory: compare the end with the level after the first 2,000 frames (allocator warm-up).
      const warm = result.rssSamples[1] ?? result.rssSamples[0]!;
      const end = result.rssSamples[result.rssSamples.length - 1]!;
      assert.ok(end < warm * 1.5 + 64 * 1024 * 1024, `RSS grew from ${(warm / 1e6).toFixed(0)} MB to ${(end / 1e6).toFixed(0)} MB`);
      console.log(`${name}: ${JSON.stringify(result.byStatus)} rss ${(warm / 1e6).toFixed(0)} → ${(end / 1e6).toFixed(0)} MB`);
    } catch (err) {
      console.log(proc.output().slice(-4000));
      throw err;
    } finally {
      await proc.stop();
    }
  });
}

test.run();

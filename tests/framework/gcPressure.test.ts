import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { spawnSuite } from '../helpers/suiteProcess.js';
import { closedLoop } from '../../scripts/bench/loadGenerator.js';

const EXAMPLE = fileURLToPath(new URL('../fixtures/example-suite/ExampleSuite.ts', import.meta.url));

/** Bytes that survived each young-generation GC, from V8's --trace-gc-nvp lines. */
function scavengeSurvivors(output: string): number[] {
  return [...output.matchAll(/gc=s\b.*?new_space_survived=(\d+)/g)].map((m) => Number(m[1]));
}

// A request's garbage must die young. When something per request is referenced from V8's old
// space (an object literal with a getter did that: its accessor pair lives there), every
// request's objects survive the scavenge and get promoted: MBs per scavenge, multi-ms pauses and
// frequent full GCs, which is what the p99 of a cheap request is made of.
test('garbage of cheap requests dies in the young generation', async () => {
  const suite = await spawnSuite('ExampleSuite', { redisUrl: 'none', extraSuites: [EXAMPLE], nodeFlags: ['--trace-gc', '--trace-gc-nvp'] });
  try {
    const body = Buffer.from(JSON.stringify({ action: 'echo', text: 'hello from the gc test' }));
    const warm = await closedLoop({ endpoint: suite.endpoint, body: () => body, inFlight: 32, durationMs: 500, warmupMs: 100 });
    assert.is(warm.errors + warm.timeouts, 0);
    const before = scavengeSurvivors(suite.output()).length;
    const r = await closedLoop({ endpoint: suite.endpoint, body: () => body, inFlight: 32, durationMs: 2500, warmupMs: 100 });
    assert.is(r.errors + r.timeouts, 0);
    const survived = scavengeSurvivors(suite.output()).slice(before).sort((a, b) => a - b);
    assert.ok(survived.length >= 3, `only ${survived.length} scavenges during ${r.allReplies} requests`);
    const median = survived[survived.length >> 1]!;
    // Fixed: a few KB per scavenge. With per-request promotion it was 2–4 MB.
    assert.ok(median < 256 * 1024, `median bytes surviving a scavenge: ${median} over ${survived.length} scavenges, ${r.allReplies} requests`);
  } finally {
    await suite.stop();
  }
});

test.run();

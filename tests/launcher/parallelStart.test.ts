import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requestOnce } from '../../src/transport/ZmqClient.js';
import { waitFor, withLauncher } from './launcherProcess.js';

// Parallel start (issue 20): every suite process is spawned at once, so module loading overlaps,
// but a suite still starts serving only after its local dependencies answer health.
test('a dependent is spawned before its dependency is healthy, and starts only once it is', () =>
  withLauncher(6, (p) => `
schema_version: 1
machine: MainPC
bind_address: 127.0.0.1
services:
  FixtureSlow: { port: ${p[0]}, health_port: ${p[1]}, metrics_port: ${p[2]}, config: { start_delay_ms: 1500 } }
  FixtureClient: { port: ${p[3]}, health_port: ${p[4]}, metrics_port: ${p[5]}, dependencies: [FixtureSlow] }
launcher:
  health_timeout_seconds: 60
  registration: { enabled: false }
`, async (launcher, p) => {
    await waitFor('startup summary line', () => /2\/2 suites healthy after/.test(launcher.stdout()), 60_000);
    const s = launcher.state()!;
    const whoami = async (port: number) => (await requestOnce(`tcp://127.0.0.1:${port}`, { action: 'whoami' }, { timeoutMs: 3000 })) as Record<string, number>;
    const slow = await whoami(p[0]!);
    const client = await whoami(p[3]!);
    const clientSpawned = Date.parse(s.suites.find((x) => x.name === 'FixtureClient')!.startedAt!);
    assert.ok(clientSpawned < slow.start_ended!, `client spawned at ${clientSpawned}, before its dependency was ready at ${slow.start_ended}`);
    assert.ok(client.start_began! >= slow.start_ended!, `client started at ${client.start_began}, after its dependency was ready at ${slow.start_ended}`);
    assert.is(await launcher.stop(), 0);
  }));

test.run();

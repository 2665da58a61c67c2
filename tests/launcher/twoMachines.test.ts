import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { LAST_RUN_FILE, type LauncherState } from '../../src/launcher/stateFile.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Subscriber } from 'zeromq';
import { requestOnce } from '../../src/transport/ZmqClient.js';
import { type RunningLauncher, runCli, startLauncher, waitFor, pickPorts } from './launcherProcess.js';
import { type SdtDouble, startSdtDouble } from './sdtDouble.js';

// Two "machines" on one box: PC2 binds 127.0.0.2, MainPC binds 127.0.0.1. The MainPC launcher is
// started first and waits for the PC2 hub (a remote dependency) before starting its client suite;
// the client then calls the hub across the two addresses. Registration goes to a SystemDigitalTwin
// double.
const PC2 = '127.0.0.2';
const MAIN = '127.0.0.1';

test('MainPC suite waits for and calls the hub on the PC2 side; both register with SDT; both stop cleanly', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'as-2m-'));
  const p = await pickPorts(9);
  const [hubPort, hubHealth, hubMetrics, busIn, busOut, cPort, cHealth, cMetrics, sdtPort] = p as [number, number, number, number, number, number, number, number, number];
  const pc2File = path.join(dir, 'pc2.yaml');
  const mainFile = path.join(dir, 'mainpc.yaml');
  writeFileSync(pc2File, `
schema_version: 1
machine: PC2
error_bus: { enabled: true, machine: PC2, port: ${busIn}, pub_port: ${busOut} }
services:
  FixtureHub: { port: ${hubPort}, health_port: ${hubHealth}, metrics_port: ${hubMetrics} }
launcher: { health_timeout_seconds: 20, registration: { machine: MainPC } }
`);
  writeFileSync(mainFile, `
schema_version: 1
machine: MainPC
error_bus: { enabled: false, machine: PC2, port: ${busIn}, pub_port: ${busOut} }
services:
  FixtureClient:
    port: ${cPort}
    health_port: ${cHealth}
    metrics_port: ${cMetrics}
    dependencies: [{ name: FixtureHub, machine: PC2 }]
remote_services:
  FixtureHub: { machine: PC2, port: ${hubPort}, health_port: ${hubHealth} }
launcher: { health_timeout_seconds: 20, dependency_timeout_seconds: 80 }
`);
  const common = { PC2_IP: PC2, MAINPC_IP: MAIN, SYSTEM_DIGITAL_TWIN_PORT: String(sdtPort) };
  let main: RunningLauncher | undefined;
  let pc2: RunningLauncher | undefined;
  let sdt: SdtDouble | undefined;
  const sub = new Subscriber({ linger: 0 });
  try {
    sdt = await startSdtDouble(MAIN, sdtPort);
    main = startLauncher(mainFile, { ...common, BIND_ADDRESS: MAIN, DATA_DIR: path.join(dir, 'mainpc') });
    const m = main;
    await waitFor('MainPC client waiting for the remote hub', () => m.state()?.suites[0]?.state === 'waiting', 40_000);
    assert.match(m.state()!.suites[0]!.reason!, /waiting for FixtureHub/);

    pc2 = startLauncher(pc2File, { ...common, BIND_ADDRESS: PC2, DATA_DIR: path.join(dir, 'pc2') });
    const q = pc2;
    await waitFor('PC2 up', () => /1\/1 suites healthy/.test(q.stdout()), 60_000);
    assert.match(q.stdout(), new RegExp(`FixtureHub\\s+healthy\\s+pid \\d+\\s+main tcp://${PC2.replace(/\./g, '\\.')}:${hubPort}`));
    await waitFor('MainPC up', () => /1\/1 suites healthy/.test(m.stdout()), 60_000);

    // The MainPC suite calls the hub on 127.0.0.2 through peerEndpoint().
    sub.connect(`tcp://${PC2}:${busOut}`);
    sub.subscribe('');
    const hubPid = q.state()!.suites[0]!.pid;
    const put = await requestOnce(`tcp://${MAIN}:${cPort}`, { action: 'remember', key: 'greeting', value: 'hello from MainPC' }, { timeoutMs: 5000 });
    assert.is(put.status, 'success');
    assert.is(put.via, `tcp://${PC2}:${hubPort}`);
    assert.is(put.hub.pid, hubPid);
    assert.is.not(put.pid, hubPid);
    const direct = await requestOnce(`tcp://${PC2}:${hubPort}`, { action: 'get', key: 'greeting' }, { timeoutMs: 5000 });
    assert.is(direct.value, 'hello from MainPC');
    // Nothing listens on the hub's port on the MainPC address: the two really are apart.
    assert.not.ok(await requestOnce(`tcp://${MAIN}:${hubPort}`, { action: 'whoami' }, { timeoutMs: 300 }).catch(() => undefined));

    // Errors from the MainPC suite reach the bus the PC2 launcher runs (publish is best-effort,
    // so repeat until the subscription has propagated).
    const frames: string[] = [];
    void (async () => { for await (const [f] of sub) frames.push(f!.toString('utf8')); })().catch(() => {});
    await waitFor('ERROR: frame from MainPC on the PC2 bus', async () => {
      await requestOnce(`tcp://${MAIN}:${cPort}`, { action: 'report_error', message: 'cross-machine check' }, { timeoutMs: 3000 });
      return frames.find((f) => f.startsWith('ERROR:') && f.includes('cross-machine check'));
    }, 15_000, 300);

    // Best-effort registration reached the SDT double in the BaseAgent envelope.
    await waitFor('registrations', () => sdt!.received.some((r) => r.agent_name === 'FixtureClient')
      && sdt!.received.some((r) => r.agent_name === 'FixtureHub'), 10_000);
    const reg = sdt.received.find((r) => r.agent_name === 'FixtureHub')!;
    assert.is(reg.action, 'register_agent');
    assert.is(reg.status, 'HEALTHY');
    assert.is(reg.location, 'PC2');
    assert.equal((reg.registration_data as Record<string, unknown>).port, hubPort);
    assert.equal((reg.registration_data as Record<string, unknown>).health_check_port, hubHealth);
    assert.is((reg.registration_data as Record<string, unknown>).host, PC2);
    assert.type(reg.request_id, 'string');
    await waitFor('registration recorded in state', () => m.state()?.suites[0]?.registration?.ok === true, 10_000);

    // health --config on the MainPC side covers the local suite and the remote hub.
    const h = await runCli(['health', '--config', mainFile], { ...common });
    assert.is(h.code, 0, h.stdout + h.stderr);
    assert.match(h.stdout, new RegExp(`FixtureClient\\s+MainPC\\s+tcp://127\\.0\\.0\\.1:${cHealth}\\s+ok`));
    assert.match(h.stdout, new RegExp(`FixtureHub\\s+remote\\s+tcp://127\\.0\\.0\\.2:${hubHealth}\\s+ok`));

    assert.is(await m.stop(), 0);
    assert.is(await q.stop(), 0);
    // Clean stops: no state file left for `status` to follow; the last-run record says stopped.
    const lastRun = (dataDir: string) => JSON.parse(readFileSync(path.join(dataDir, LAST_RUN_FILE), 'utf8')) as LauncherState;
    assert.is(m.state(), undefined);
    assert.is(lastRun(m.dataDir).state, 'stopped');
    assert.is(lastRun(q.dataDir).errorBus?.state, 'stopped');
  } finally {
    sub.close();
    sdt?.close();
    main?.kill();
    pc2?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

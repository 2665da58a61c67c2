import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStartupConfig, StartupConfigError } from '../../src/launcher/loadStartupConfig.js';
import { startOrder } from '../../src/launcher/startOrder.js';
import { evaluatePort } from '../../src/launcher/expand.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CFG = (f: string) => path.join(ROOT, 'startup_config', f);
const LEGACY = (f: string) => path.join(ROOT, 'tests/fixtures/launcher', f);
const tmp = mkdtempSync(path.join(tmpdir(), 'as-cfg-'));
let n = 0;
function yamlFile(text: string): string {
  const f = path.join(tmp, `cfg${n++}.yaml`);
  writeFileSync(f, text);
  return f;
}
function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.instance(err, StartupConfigError);
    return (err as StartupConfigError).problems;
  }
  throw new Error('expected a StartupConfigError');
}

test('shipped all-in-one.yaml: three suites, error bus, ports shifted by PORT_OFFSET', () => {
  const base = loadStartupConfig(CFG('all-in-one.yaml'), {});
  assert.equal(base.schema, 'agent-suites');
  assert.equal(base.services.map((s) => [s.name, s.port, s.healthPort, s.metricsPort]), [
    ['MemoryHub', 7010, 7110, 9010], ['ModelManagerSuite', 7011, 7111, 9011], ['AdaptiveLearningSuite', 7012, 7112, 9012],
  ]);
  assert.equal(base.errorBus, { enabled: true, port: 7150, pubPort: 7151, bindAddress: '0.0.0.0' });
  assert.equal(base.errorBusEndpoint, 'tcp://127.0.0.1:7150');
  assert.equal(base.deprecatedServices.length, 23);
  assert.equal(base.warnings, []);
  const shifted = loadStartupConfig(CFG('all-in-one.yaml'), { PORT_OFFSET: '1000', BIND_ADDRESS: '127.0.0.1' });
  assert.equal(shifted.services.map((s) => s.port), [8010, 8011, 8012]);
  assert.equal(shifted.services.map((s) => s.healthPort), [8110, 8111, 8112]);
  assert.equal(shifted.services.map((s) => s.metricsPort), [10010, 10011, 10012]);
  assert.equal(shifted.errorBus?.port, 8150);
  assert.equal(shifted.services[0]!.bindAddress, '127.0.0.1');
  assert.equal(shifted.peers.MemoryHub, { host: '127.0.0.1', port: 8010, healthPort: 8110 });
  const mms = shifted.services.find((s) => s.name === 'ModelManagerSuite')!;
  assert.equal(mms.dependencies.map((d) => [d.name, d.healthPort, d.remote]), [['MemoryHub', 8110, false]]);
});

test('shipped mainpc.yaml: MemoryHub is a remote dependency probed on PC2_IP', () => {
  const c = loadStartupConfig(CFG('mainpc.yaml'), { PC2_IP: '10.1.1.2', MAIN_PC_IP: '10.1.1.1', PORT_OFFSET: '3' });
  assert.equal(c.machine, 'MainPC');
  assert.equal(c.machines, { MainPC: '10.1.1.1', PC2: '10.1.1.2' });
  assert.equal(c.services.map((s) => s.name), ['ModelManagerSuite', 'AdaptiveLearningSuite']);
  const mms = c.services[0]!;
  assert.equal(mms.dependencies, [{ name: 'MemoryHub', host: '10.1.1.2', healthPort: 7113, remote: true, machine: 'PC2' }]);
  assert.equal(c.peers.MemoryHub, { host: '10.1.1.2', port: 7013, healthPort: 7113, remote: true });
  assert.equal(c.errorBus, undefined);
  assert.equal(c.errorBusEndpoint, 'tcp://10.1.1.2:7153');
  // MAINPC_IP wins over MAIN_PC_IP; PEER_PORT_OFFSET shifts the other machine only.
  const d = loadStartupConfig(CFG('mainpc.yaml'), { MAINPC_IP: '10.9.9.9', MAIN_PC_IP: '10.1.1.1', PORT_OFFSET: '3', PEER_PORT_OFFSET: '500' });
  assert.equal(d.machines.MainPC, '10.9.9.9');
  assert.equal(d.services[0]!.port, 7014);
  assert.equal(d.peers.MemoryHub!.port, 7510);
});

test('shipped pc2.yaml: MemoryHub plus the error bus', () => {
  const c = loadStartupConfig(CFG('pc2.yaml'), { PC2_IP: '10.1.1.2' });
  assert.equal(c.machine, 'PC2');
  assert.equal(c.services.map((s) => [s.name, s.port, s.healthPort]), [['MemoryHub', 7010, 7110]]);
  assert.equal(c.errorBus?.enabled, true);
  assert.equal(c.launcher.registration.host, '127.0.0.1'); // SDT on MainPC (MAINPC_IP unset)
});

test('the result is frozen all the way down', () => {
  const c = loadStartupConfig(CFG('all-in-one.yaml'), {});
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.services));
  assert.ok(Object.isFrozen(c.services[0]!.config));
  assert.ok(Object.isFrozen(c.services[1]!.dependencies[0]));
  assert.throws(() => { (c.services[0] as { port: number }).port = 1; });
});

test('port expressions: evaluated once, never shifted twice', () => {
  assert.equal(evaluatePort('${PORT_OFFSET}+7010', { PORT_OFFSET: '5' }, 5), { ok: true, port: 7015, expression: true });
  assert.equal(evaluatePort('${PORT_OFFSET}+7010', {}, 0), { ok: true, port: 7010, expression: true });
  assert.equal(evaluatePort('${BASE:-7000}+10', {}, 99), { ok: true, port: 7010, expression: true });
  assert.equal(evaluatePort(7010, {}, 5), { ok: true, port: 7015, expression: false });
  assert.not.ok(evaluatePort('${NOPE}+1', {}, 0).ok);
  const f = yamlFile(`
services:
  MemoryHub:
    port: "\${PORT_OFFSET}+7010"
    health_port: \${PORT_OFFSET}+7110
    metrics_port: 9010
`);
  const c = loadStartupConfig(f, { PORT_OFFSET: '20' });
  assert.equal([c.services[0]!.port, c.services[0]!.healthPort, c.services[0]!.metricsPort], [7030, 7130, 9030]);
  const bad = problems(() => loadStartupConfig(yamlFile(`
services:
  MemoryHub: { port: "\${UNSET_VAR}+7010", health_port: "seven", metrics_port: 70000 }
`), {}));
  assert.equal(bad.length, 3);
  assert.match(bad[0]!, /services\.MemoryHub\.port.*UNSET_VAR/);
  assert.match(bad[1]!, /health_port.*"seven"/);
  assert.match(bad[2]!, /outside 1\.\.65535/);
});

test('config maps get ${VAR:-default} expansion and numeric port expressions', () => {
  const c = loadStartupConfig(yamlFile(`
services:
  MemoryHub:
    config: { url: "\${MY_URL:-redis://localhost:6379/0}", side_port: "\${PORT_OFFSET}+5714", name: plain }
`), { PORT_OFFSET: '1' });
  assert.equal(c.services[0]!.config, { url: 'redis://localhost:6379/0', side_port: 5715, name: 'plain' });
});

test('legacy MainPC agent_groups (77bd7db8) parses and warns about every deprecated agent', () => {
  const c = loadStartupConfig(LEGACY('legacy-mainpc-77bd7db8.yaml'), {});
  assert.equal(c.schema, 'legacy-agent-groups');
  assert.equal(c.machine, 'MainPC');
  assert.equal(c.services, []);
  const dep = c.warnings.filter((w) => /^deprecated agent/.test(w));
  for (const name of ['MemoryClient', 'GGUFModelManager', 'ModelManagerAgent', 'PredictiveLoader', 'ModelEvaluationFramework',
    'LearningOrchestrationService', 'LearningOpportunityDetector']) {
    assert.ok(dep.some((w) => w.includes(`agent ${name} `)), `warning for ${name}`);
  }
  assert.not.ok(dep.some((w) => w.includes('ServiceRegistry')));
});

test('legacy PC2 pc2_services list (77bd7db8) parses; the 7150 error-bus clash is reported', () => {
  const c = loadStartupConfig(LEGACY('legacy-pc2-77bd7db8.yaml'), {});
  assert.equal(c.schema, 'legacy-pc2-services');
  assert.equal(c.machine, 'PC2');
  assert.ok(c.warnings.some((w) => /error_bus_port 7150 .*VisionProcessingAgent/.test(w)));
  assert.ok(c.warnings.some((w) => /deprecated agent ContextManager/.test(w)));
});

test('every legacy example from startup_examples.md parses', () => {
  for (const f of ['legacy-mainpc-40879948.yaml', 'legacy-mainpc-164454bf.yaml', 'legacy-pc2-40879948.yaml',
    'legacy-pc2-164454bf.yaml', 'legacy-mainpc-598f63af.yaml', 'legacy-pc2-598f63af.yaml']) {
    const c = loadStartupConfig(LEGACY(f), {});
    assert.ok(c.schema.startsWith('legacy-'), f);
  }
});

test('legacy ${PORT_OFFSET}+N entries: a suite entry is run, with the expression evaluated', () => {
  const c0 = loadStartupConfig(LEGACY('legacy-mainpc-2fee25b2.yaml'), {});
  const mms0 = c0.services.find((s) => s.name === 'ModelManagerSuite')!;
  assert.equal([mms0.port, mms0.healthPort, mms0.metricsPort], [7211, 8211, 9011]);
  const c = loadStartupConfig(LEGACY('legacy-mainpc-2fee25b2.yaml'), { PORT_OFFSET: '100' });
  const mms = c.services.find((s) => s.name === 'ModelManagerSuite')!;
  assert.equal([mms.port, mms.healthPort, mms.metricsPort], [7311, 8311, 9111]);
  assert.equal(mms.config.models_dir, 'models');
  // Plain integers in a legacy file are real ports: not shifted.
  const l = loadStartupConfig(yamlFile(`
pc2_services:
  - { name: MemoryHub, host: 0.0.0.0, port: 7010, health_check_port: 7110, dependencies: [] }
`), { PORT_OFFSET: '100' });
  assert.equal([l.services[0]!.port, l.services[0]!.healthPort], [7010, 7110]);
});

test('two services on one port: refused, naming both', () => {
  const p = problems(() => loadStartupConfig(yamlFile(`
services:
  MemoryHub: { port: 7010, health_port: 7110 }
  ModelManagerSuite: { port: 7011, health_port: 7110 }
`), {}));
  assert.equal(p.length, 1);
  assert.match(p[0]!, /port 7110 is claimed by both MemoryHub health port .* and ModelManagerSuite health port/);
  const legacy = problems(() => loadStartupConfig(yamlFile(`
agent_groups:
  g:
    ModelOrchestrator: { script_path: a.py, port: 7010, health_check_port: 8010, dependencies: [] }
    MemoryHub: { script_path: b.py, port: 7010, health_check_port: 7110, dependencies: [] }
`), {}));
  assert.match(legacy[0]!, /port 7010 is claimed by both ModelOrchestrator main port .* and MemoryHub main port/);
  const bus = problems(() => loadStartupConfig(yamlFile(`
error_bus: { enabled: true, port: 7110 }
services:
  MemoryHub: {}
`), {}));
  assert.match(bus[0]!, /port 7110 .*MemoryHub health port.*error bus/);
});

test('legacy_ports: the replaced agents\' ports take part in the clash check', () => {
  const p = problems(() => loadStartupConfig(yamlFile(`
services:
  MemoryHub: { legacy_ports: true }
  ModelManagerSuite: {}
`), { PORT_OFFSET: '7' }));
  assert.equal(p, [
    "port 7118 is claimed by both ContextManager's legacy port on MemoryHub (services.MemoryHub.legacy_ports) and ModelManagerSuite health port (services.ModelManagerSuite)",
  ]);
  const ok = loadStartupConfig(yamlFile('services:\n  MemoryHub: { legacy_ports: true }\n'), {});
  assert.is(ok.services[0]!.legacyPorts, true);
});

test('dependency cycle and unknown dependency: clear errors naming them', () => {
  const cyc = problems(() => loadStartupConfig(yamlFile(`
services:
  MemoryHub: { dependencies: [AdaptiveLearningSuite] }
  ModelManagerSuite: { dependencies: [MemoryHub] }
  AdaptiveLearningSuite: { dependencies: [ModelManagerSuite] }
`), {}));
  assert.equal(cyc.length, 1);
  assert.match(cyc[0]!, /dependency cycle: AdaptiveLearningSuite -> ModelManagerSuite -> MemoryHub -> AdaptiveLearningSuite/);
  const unknown = problems(() => loadStartupConfig(yamlFile(`
services:
  MemoryHub: { dependencies: [CoreOrchestrator] }
`), {}));
  assert.equal(unknown, ['services.MemoryHub depends on unknown service "CoreOrchestrator" (not in this file nor in remote_services)']);
  const legacyCycle = problems(() => loadStartupConfig(yamlFile(`
pc2_services:
  - { name: A, port: 1, health_check_port: 2, dependencies: [B] }
  - { name: B, port: 3, health_check_port: 4, dependencies: [A] }
`), {}));
  assert.match(legacyCycle[0]!, /dependency cycle: A -> B -> A/);
});

test('every violation is reported at once', () => {
  const p = problems(() => loadStartupConfig(yamlFile(`
services:
  MemoryHub: { port: 7010, dependencies: [Nowhere] }
  ModelManagerSuite: { port: 7010, dependencies: [AdaptiveLearningSuite] }
  AdaptiveLearningSuite: { dependencies: [ModelManagerSuite], enabled: maybe }
  NotASuite: {}
launcher: { health_timeout_seconds: soon }
`), {}));
  assert.ok(p.length >= 6, p.join('\n'));
  assert.ok(p.some((x) => /launcher\.health_timeout_seconds must be a non-negative number/.test(x)));
  assert.ok(p.some((x) => /unknown suite "NotASuite"/.test(x)));
  assert.ok(p.some((x) => /enabled must be true or false/.test(x)));
  assert.ok(p.some((x) => /unknown service "Nowhere"/.test(x)));
  assert.ok(p.some((x) => /dependency cycle/.test(x)));
  assert.ok(p.some((x) => /port 7010 is claimed by both/.test(x)));
});

test('malformed and foreign files give one clear error', () => {
  const syntax = problems(() => loadStartupConfig(yamlFile('services:\n  MemoryHub: { port: 7010\n'), {}));
  assert.equal(syntax.length, 1);
  assert.match(syntax[0]!, /YAML syntax error/);
  assert.match(problems(() => loadStartupConfig(yamlFile('- just\n- a list\n'), {}))[0]!, /YAML map at the top level/);
  assert.match(problems(() => loadStartupConfig(yamlFile('foo: 1\n'), {}))[0]!, /not a startup config/);
  assert.match(problems(() => loadStartupConfig(path.join(tmp, 'missing.yaml'), {}))[0]!, /cannot read/);
  assert.match(problems(() => loadStartupConfig(CFG('all-in-one.yaml'), { PORT_OFFSET: 'ten' }))[0]!, /PORT_OFFSET must be an integer/);
});

test('a deprecated agent configured to start gives a warning', () => {
  const c = loadStartupConfig(yamlFile(`
services:
  MemoryHub: {}
  CacheManager: { port: 7102 }
`), {});
  assert.equal(c.services.map((s) => s.name), ['MemoryHub']);
  assert.ok(c.warnings.some((w) => /deprecated agent CacheManager is configured to start.*MemoryHub/.test(w)));
});

test('start order follows dependencies, then startup_order', () => {
  const order = startOrder([
    { name: 'C', startupOrder: 1, needs: ['B'] },
    { name: 'A', startupOrder: 3, needs: [] },
    { name: 'B', startupOrder: 2, needs: ['A'] },
    { name: 'D', startupOrder: 0, needs: [] },
  ]).map((x) => x.name);
  assert.equal(order, ['D', 'A', 'B', 'C']);
  assert.throws(() => startOrder([{ name: 'X', startupOrder: 0, needs: ['X'] }]), /cycle: X -> X/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();

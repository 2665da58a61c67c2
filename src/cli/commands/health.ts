import path from 'node:path';
import type { CommandModule } from 'yargs';
import { loadExtraSuites } from '../../launcher/extraSuites.js';
import { portOffsetFrom } from '../../launcher/expand.js';
import { formatTable, shortDuration } from '../../launcher/formatTable.js';
import { probeHealth } from '../../launcher/healthProbe.js';
import { loadStartupConfig } from '../../launcher/loadStartupConfig.js';
import { pidAlive, readState, stateFilePath } from '../../launcher/stateFile.js';
import { SUITES } from '../../suites/registry.js';
import { runtimeEnv } from '../runtimeEnv.js';

interface HealthArgs {
  config?: string;
  host: string;
  'data-dir'?: string;
  timeout: number;
  json?: boolean;
}

interface Target {
  name: string;
  where: string;
  host: string;
  healthPort: number;
}

/**
 * Which health sockets to ask, and a line saying where that list came from: the config's suites,
 * else the launcher state (unless PORT_OFFSET is set to something else than the launcher used),
 * else the defaults shifted by PORT_OFFSET.
 */
async function targets(argv: HealthArgs): Promise<{ list: Target[]; source: string }> {
  if (argv.config) {
    await loadExtraSuites();
    const cfg = loadStartupConfig(argv.config);
    const local = cfg.services.filter((s) => s.enabled).map((s) => ({ name: s.name, where: cfg.machine, host: s.host, healthPort: s.healthPort }));
    const remote = Object.entries(cfg.peers)
      .filter(([, p]) => p.remote)
      .map(([name, p]) => ({ name, where: 'remote', host: p.host, healthPort: p.healthPort }));
    return { list: [...local, ...remote], source: `suites of ${cfg.file} (PORT_OFFSET ${cfg.portOffset})` };
  }
  const dataDir = argv['data-dir'] ? path.resolve(argv['data-dir']) : runtimeEnv().dataRoot;
  const file = stateFilePath(dataDir);
  const state = readState(dataDir);
  const explicitOffset = process.env.PORT_OFFSET !== undefined && process.env.PORT_OFFSET.trim() !== '';
  const offset = portOffsetFrom(process.env);
  let skipped = '';
  if (state?.suites.length) {
    const running = state.state !== 'stopped' && pidAlive(state.launcherPid);
    const stateOffset = state.portOffset ?? 'unknown';
    if (explicitOffset && stateOffset !== offset) {
      skipped = `; ignored ${file} (written for PORT_OFFSET ${stateOffset}${running ? '' : ', launcher not running'})`;
    } else {
      return {
        list: state.suites.map((s) => ({ name: s.name, where: state.machine, host: s.host, healthPort: s.ports.health })),
        source: `suites of the launcher state ${file} (launcher pid ${state.launcherPid} ${running ? 'running' : `not running, last updated ${state.updatedAt}`}; PORT_OFFSET ${stateOffset})`,
      };
    }
  }
  const list = ['MemoryHub', 'ModelManagerSuite', 'AdaptiveLearningSuite']
    .map((n) => SUITES[n]!)
    .map((d) => ({ name: d.name, where: d.machine, host: argv.host, healthPort: d.healthPort + offset }));
  return { list, source: `default ports on ${argv.host} with PORT_OFFSET ${offset}${skipped}` };
}

/**
 * `agent-suites health`: asks every suite's health socket and prints a table; exit code 1 when
 * any suite does not answer or reports a non-serving status.
 */
export const healthCommand: CommandModule<object, HealthArgs> = {
  command: 'health',
  describe: "Table of every suite's health (ZMQ health socket); exit 1 if any is down",
  builder: (y) =>
    y
      .option('config', { type: 'string', describe: 'Startup YAML: its enabled suites plus the remote suites it names' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Host to probe when neither --config nor a launcher state is found' })
      .option('data-dir', { type: 'string', describe: 'Use the suites of the launcher state in this folder (default DATA_DIR or ./data)' })
      .option('timeout', { type: 'number', default: 2000, describe: 'Probe timeout per suite (ms)' })
      .option('json', { type: 'boolean', describe: 'Print the replies as JSON' })
      .example('$0 health --config startup_config/all-in-one.yaml', 'every suite of the file')
      .example('PORT_OFFSET=1000 $0 health', 'default ports +1000 on 127.0.0.1')
      .epilog('Without --config it reads DATA_DIR/launcher-state.json, unless PORT_OFFSET is set to another offset than the '
        + 'launcher used; without that it probes the default ports (+PORT_OFFSET). The first line on stderr says which it used.'),
  handler: async (argv) => {
    const { list, source } = await targets(argv);
    process.stderr.write(`probing ${source}\n`);
    const results = await Promise.all(list.map((t) => probeHealth(t.host, t.healthPort, argv.timeout)));
    if (argv.json) {
      process.stdout.write(`${JSON.stringify(list.map((t, i) => ({ ...t, up: results[i]!.up, status: results[i]!.status, reply: results[i]!.reply ?? null })), null, 2)}\n`);
    } else {
      const rows = list.map((t, i) => {
        const r = results[i]!;
        const uptime = typeof r.reply?.uptime === 'number' ? shortDuration(r.reply.uptime) : '-';
        return [t.name, t.where, `tcp://${t.host}:${t.healthPort}`, r.up ? r.status : `DOWN (${r.status})`, uptime, String(r.reply?.message ?? '')];
      });
      process.stdout.write(`${formatTable(['SUITE', 'MACHINE', 'HEALTH SOCKET', 'STATUS', 'UPTIME', 'MESSAGE'], rows)}\n`);
    }
    process.exitCode = results.every((r) => r.up) ? 0 : 1;
  },
};

import path from 'node:path';
import type { CommandModule } from 'yargs';
import { formatTable } from '../../launcher/formatTable.js';
import { probeHealth } from '../../launcher/healthProbe.js';
import { pidAlive, readState, stateFilePath } from '../../launcher/stateFile.js';
import { runtimeEnv } from '../runtimeEnv.js';

interface StatusArgs {
  'data-dir'?: string;
  json?: boolean;
  timeout: number;
}

/**
 * `agent-suites status`: what the launcher using DATA_DIR is doing — each suite's state, pid,
 * ports, restarts and why it is failed — plus a live probe of each health socket.
 * Exit code 0 when the launcher runs and every suite answers healthy, else 1.
 */
export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: "Show the launcher's suites: state, pid, ports, restarts, live health, and why a suite failed",
  builder: (y) =>
    y
      .option('data-dir', { type: 'string', describe: 'State folder of the launcher (default DATA_DIR or ./data)' })
      .option('json', { type: 'boolean', describe: 'Print the state file plus live probes as JSON' })
      .option('timeout', { type: 'number', default: 1000, describe: 'Health probe timeout per suite (ms)' })
      .example('$0 status', 'launcher started with the default DATA_DIR')
      .example('DATA_DIR=/tmp/as $0 status --json', 'machine-readable'),
  handler: async (argv) => {
    const dataDir = argv['data-dir'] ? path.resolve(argv['data-dir']) : runtimeEnv().dataRoot;
    const state = readState(dataDir);
    if (!state) {
      process.stderr.write(`no launcher state at ${stateFilePath(dataDir)} (start one with: agent-suites start --config FILE)\n`);
      process.exitCode = 1;
      return;
    }
    const launcherUp = state.state !== 'stopped' && pidAlive(state.launcherPid);
    const envOffset = process.env.PORT_OFFSET?.trim() ? Number(process.env.PORT_OFFSET) : undefined;
    if (envOffset !== undefined && envOffset !== (state.portOffset ?? 0)) {
      process.stderr.write(`note: ${stateFilePath(dataDir)} belongs to a launcher run with PORT_OFFSET ${state.portOffset ?? 'unknown'}, `
        + `not the PORT_OFFSET ${envOffset} set here; status shows that launcher (pick another with --data-dir or DATA_DIR)\n`);
    }
    const probes = await Promise.all(state.suites.map((s) =>
      (launcherUp && s.pid ? probeHealth(s.host, s.ports.health, argv.timeout, { pid: s.pid }) : Promise.resolve({ up: false, status: '-' }))));
    const allUp = launcherUp && state.suites.length > 0 && probes.every((p) => p.up);
    if (argv.json) {
      process.stdout.write(`${JSON.stringify({
        ...state, launcherRunning: launcherUp,
        suites: state.suites.map((s, i) => ({ ...s, liveHealth: probes[i]!.status, up: probes[i]!.up })),
      }, null, 2)}\n`);
    } else {
      const head = (launcherUp
        ? `launcher pid ${state.launcherPid} (${state.state}), machine ${state.machine}, config ${state.config}`
        : `launcher not running (last pid ${state.launcherPid}, last state ${state.state}, updated ${state.updatedAt})`)
        + `, PORT_OFFSET ${state.portOffset ?? 'unknown'}; from ${stateFilePath(dataDir)}`;
      const bus = state.errorBus
        ? `error bus: ${state.errorBus.state} (xsub ${state.errorBus.xsubPort}, xpub ${state.errorBus.xpubPort})${state.errorBus.reason ? ` - ${state.errorBus.reason}` : ''}`
        : 'error bus: not run by this launcher';
      const rows = state.suites.map((s, i) => [
        s.name,
        s.state,
        s.pid ? String(s.pid) : '-',
        `${s.host}:${s.ports.main}`,
        String(s.ports.health),
        String(s.ports.metrics),
        String(s.restarts),
        probes[i]!.status,
        s.reason ?? '',
      ]);
      process.stdout.write(`${head}\n${bus}\n${formatTable(['SUITE', 'STATE', 'PID', 'MAIN', 'HEALTH', 'METRICS', 'RESTARTS', 'LIVE', 'REASON'], rows)}\n`);
    }
    process.exitCode = allUp ? 0 : 1;
  },
};

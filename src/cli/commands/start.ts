import path from 'node:path';
import type { CommandModule } from 'yargs';
import { loadExtraSuites } from '../../launcher/extraSuites.js';
import { Launcher } from '../../launcher/Launcher.js';
import { loadStartupConfig } from '../../launcher/loadStartupConfig.js';
import { pidAlive, readState, retireState, stateFilePath, type SuiteStatus } from '../../launcher/stateFile.js';
import { createLogger } from '../../runtime/logger.js';
import { SUITES } from '../../suites/registry.js';
import { runtimeEnv } from '../runtimeEnv.js';

interface StartArgs {
  config: string;
  only?: string;
  'data-dir'?: string;
}

function suiteLine(s: SuiteStatus, restarted: boolean): string {
  const took = s.startupMs !== null ? `  (${(s.startupMs / 1000).toFixed(1)} s)` : '';
  return `${s.name.padEnd(22)} ${restarted ? `restarted (#${s.restarts})` : 'healthy'}  pid ${s.pid}  `
    + `main tcp://${s.host}:${s.ports.main}  health tcp://${s.host}:${s.ports.health}  `
    + `metrics http://${s.host}:${s.ports.metrics}/metrics${took}`;
}

/**
 * `agent-suites start`: runs every enabled suite of a startup file in its own child process, in
 * dependency order, waits for each health socket, prints one line per suite, and supervises them
 * until SIGINT/SIGTERM/SIGHUP or until its parent process dies. Exit code 1 when no suite could
 * start or every suite has given up.
 */
export const startCommand: CommandModule<object, StartArgs> = {
  command: 'start',
  describe: 'Start the suites of a startup config (one process each) and keep them running until signalled',
  builder: (y) =>
    y
      .option('config', {
        type: 'string', default: 'startup_config/all-in-one.yaml',
        describe: 'Startup YAML (agent-suites schema, or a legacy MainPC agent_groups / PC2 pc2_services file)',
        // `npm start -- --config other.yaml` passes --config twice: the last one wins.
        coerce: (v: string | string[]) => (Array.isArray(v) ? v[v.length - 1]! : v),
      })
      .option('only', { type: 'string', describe: 'Comma-separated suites to start (others in the file are left alone)' })
      .option('data-dir', { type: 'string', describe: 'State folder (default DATA_DIR or ./data): suite data, logs/<suite>.log, launcher-state.json' })
      .example('$0 start --config startup_config/all-in-one.yaml', 'all three suites and the error bus on this machine')
      .example('PORT_OFFSET=1000 DATA_DIR=/tmp/as $0 start', 'a second instance: every port +1000, state under /tmp/as')
      .example('PC2_IP=192.168.100.17 $0 start --config startup_config/mainpc.yaml', 'MainPC side; MemoryHub is probed on PC2')
      .example('$0 start --config startup_config/mainpc.yaml --only ModelManagerSuite', 'one suite of a file')
      .epilog('Environment: PORT_OFFSET, BIND_ADDRESS, DATA_DIR, REDIS_URL, ERROR_BUS_ENDPOINT, MAINPC_IP/MAIN_PC_IP, PC2_IP, '
        + 'PEER_PORT_OFFSET (ports of the other machine), SYSTEM_DIGITAL_TWIN_HOST/_PORT, SDT_REGISTRATION=0.'),
  handler: async (argv) => {
    await loadExtraSuites();
    const config = loadStartupConfig(argv.config);
    for (const w of config.warnings) process.stderr.write(`warning: ${w}\n`);
    const dataDir = argv['data-dir'] ? path.resolve(argv['data-dir']) : runtimeEnv().dataRoot;
    const previous = readState(dataDir);
    if (previous && previous.state !== 'stopped' && previous.launcherPid !== process.pid && pidAlive(previous.launcherPid)) {
      throw new Error(`another launcher (pid ${previous.launcherPid}) is using ${dataDir}; stop it or use another DATA_DIR`);
    }
    const only = argv.only?.split(',').map((s) => s.trim()).filter(Boolean);
    if (!config.services.some((s) => s.enabled) && !config.errorBus?.enabled) {
      throw new Error(`${config.file} has no enabled suite for this launcher to start (it runs ${Object.keys(SUITES).join(', ')})`);
    }
    const t0 = Date.now();
    let startedUp = false;
    const launcher = new Launcher({
      config,
      dataDir,
      only,
      log: createLogger('launcher'),
      env: { ...process.env, DATA_DIR: dataDir },
      onSuiteHealthy: (s, restarted) => process.stdout.write(`${suiteLine(s, restarted)}\n`),
      onSuiteFailed: (s) => {
        process.stderr.write(`${s.name}: ${s.state}: ${s.reason}\n`);
        // Once start-up is over, a launcher whose every suite has given up has nothing to supervise.
        if (startedUp && launcher.allGaveUp()) stopAll('every suite has given up; stopping and exiting with code 1', 1);
      },
    });

    let done!: () => void;
    const finished = new Promise<void>((resolve) => { done = resolve; });
    let stopRequested = false;
    /** Stops every suite once; `exitCode` 0 for a requested stop, 1 when nothing is left running. */
    const stopAll = (why: string, exitCode: number) => {
      if (stopRequested) return;
      stopRequested = true;
      process.stderr.write(`${why}\n`);
      process.exitCode = exitCode;
      void launcher.stop().then(done);
    };
    let signalled = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signalled++;
      if (signalled > 1) {
        process.stderr.write(`${signal} again: exiting without waiting\n`);
        process.exit(130);
      }
      stopAll(`${signal}: stopping suites in reverse order`, 0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal); // terminal closed: the suites sit in their own process groups
    // A parent that dies (an `npm start` or `sh -c` wrapper signalled by a supervisor does not always
    // pass the signal on) leaves this process re-parented; stop then as on SIGTERM. Polled because
    // Linux tells a child nothing when its parent dies.
    const parent = process.ppid;
    // With the parent gone, so may be the reader of our output: a write error must not kill the stop.
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    const parentWatch = setInterval(() => {
      if (process.ppid !== parent) stopAll(`parent process ${parent} is gone: stopping suites in reverse order`, 0);
    }, 250);
    parentWatch.unref();
    // Suites run in their own process groups; never leave them behind if this process dies.
    const onExit = () => launcher.killNow();
    process.on('exit', onExit);

    const state = await launcher.start();
    startedUp = true;
    if (!stopRequested) {
      const up = state.suites.filter((s) => s.state === 'healthy').length;
      const bus = config.errorBus?.enabled ? `; error bus ${state.errorBus?.state ?? 'off'} on ${config.errorBus.port}/${config.errorBus.pubPort}` : '';
      if (launcher.allGaveUp()) {
        stopAll(`0/${state.suites.length} suites healthy: none could start${bus}; `
          + `exiting (reasons above and in ${stateFilePath(dataDir)})`, 1);
      } else {
        process.stdout.write(`${up}/${state.suites.length} suites healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s${bus}; `
          + `state in ${stateFilePath(dataDir)}; Ctrl-C to stop\n`);
      }
    }
    // Keeps the process alive until a signal has stopped everything.
    const keepAlive = setInterval(() => {}, 1 << 30);
    await finished;
    clearInterval(keepAlive);
    clearInterval(parentWatch);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('exit', onExit);
    // A clean stop leaves no state file for `status`/`health` to follow; a failed run keeps it (why).
    if (!process.exitCode) retireState(dataDir);
    process.stdout.write('all suites stopped\n');
  },
};

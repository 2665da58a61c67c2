import type { CommandModule } from 'yargs';
import { loadStartupConfig } from '../../launcher/loadStartupConfig.js';
import { loadExtraSuites } from '../../launcher/extraSuites.js';
import { otherPortsOnMachine } from '../../launcher/suitePorts.js';
import { findSuite, SUITES } from '../../suites/registry.js';
import { SuiteHost } from '../../runtime/SuiteHost.js';
import { createLogger } from '../../runtime/logger.js';
import { runtimeEnv } from '../runtimeEnv.js';
import { loadServerCurve, secureZmqFromEnv } from '../../runtime/security/curveCertificates.js';
import { CorruptDatabaseError } from '../../stores/sqlite/checkDatabaseFile.js';
import { SchemaTooNewError } from '../../stores/sqlite/openDatabase.js';
import { EXIT_REFUSED_DATA } from '../../launcher/exitCodes.js';
import { awaitDependencies, awaitedSuites } from '../../launcher/dependencyGate.js';

interface ServeArgs {
  suite?: string;
  name?: string;
  config?: string;
  port?: number;
  'health-port'?: number;
  health_check_port?: number;
  'metrics-port'?: number;
  bind?: string;
  'legacy-ports'?: boolean;
}

/**
 * Runs ONE suite in this process until SIGINT/SIGTERM. The launcher starts each suite this way
 * (one child process per suite); it is also handy on its own. Ports come from, in order: flags
 * (`--port`, `--health_check_port` as legacy launchers pass them), AGENT_PORT / HEALTH_CHECK_PORT,
 * the startup config, the suite's defaults (all shifted by PORT_OFFSET except explicit flags).
 */
export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Run one suite in this process (what the launcher starts per suite)',
  builder: (y) =>
    y
      .option('suite', { type: 'string', describe: 'Suite name: MemoryHub, ModelManagerSuite, AdaptiveLearningSuite' })
      .option('name', { type: 'string', describe: 'Alias of --suite (legacy launchers pass --name)' })
      .option('config', { type: 'string', describe: 'Startup YAML to read ports and the suite config from' })
      .option('port', { type: 'number', describe: 'Main ZMQ port (overrides config and AGENT_PORT)' })
      .option('health-port', { type: 'number', describe: 'Health ZMQ port' })
      .option('health_check_port', { type: 'number', hidden: true })
      .option('metrics-port', { type: 'number', describe: 'HTTP /metrics /health /version port (0 = off)' })
      .option('bind', { type: 'string', describe: 'Interface to bind (default BIND_ADDRESS or 0.0.0.0)' })
      .option('legacy-ports', { type: 'boolean', describe: "Also bind the replaced agents' own ports" })
      .example('$0 serve --suite MemoryHub --config startup_config/pc2.yaml', 'run the hub as the PC2 config describes it')
      .example('$0 serve --suite MemoryHub --port 7010 --health-port 7110', 'run the hub without a config file'),
  handler: async (argv) => {
    const log = createLogger('serve');
    await loadExtraSuites();
    const name = argv.suite ?? argv.name ?? process.env.AGENT_NAME;
    if (!name) throw new Error(`--suite is required (one of ${Object.keys(SUITES).join(', ')})`);
    const desc = findSuite(name);
    if (!desc) throw new Error(`unknown suite "${name}" (known: ${Object.keys(SUITES).join(', ')})`);
    const env = runtimeEnv();
    const offset = Number(process.env.PORT_OFFSET ?? 0) || 0;
    const cfg = argv.config ? loadStartupConfig(argv.config) : undefined;
    for (const w of cfg?.warnings ?? []) log.warn(w);
    const spec = cfg?.services.find((s) => s.name === desc.name);
    if (cfg && !spec) throw new Error(`${argv.config} does not configure ${desc.name}`);
    const envPort = process.env.AGENT_PORT ? Number(process.env.AGENT_PORT) : undefined;
    const envHealth = process.env.HEALTH_CHECK_PORT ? Number(process.env.HEALTH_CHECK_PORT) : undefined;
    const peers: Record<string, string> = {};
    for (const [peer, addr] of Object.entries(cfg?.peers ?? {})) peers[peer] = `tcp://${addr.host}:${addr.port}`;
    const secure = secureZmqFromEnv();
    let curve: { publicKey: string; secretKey: string; authorizedClients: Iterable<string> } | undefined;
    if (secure.enabled) {
      const keys = loadServerCurve(secure.dir);
      if (keys.authorized.size === 0) log.warn(`SECURE_ZMQ=1 but no client keys in ${secure.dir}: every client will be refused`);
      curve = { ...keys.server, authorizedClients: keys.authorized };
    }
    const host = new SuiteHost({
      curve,
      name: desc.name,
      slug: desc.slug,
      factory: await desc.load(),
      port: argv.port ?? envPort ?? spec?.port ?? desc.port + offset,
      healthPort: argv['health-port'] ?? argv.health_check_port ?? envHealth ?? spec?.healthPort ?? desc.healthPort + offset,
      metricsPort: argv['metrics-port'] ?? spec?.metricsPort ?? desc.metricsPort + offset,
      bindAddress: argv.bind ?? spec?.bindAddress ?? process.env.BIND_ADDRESS ?? '0.0.0.0',
      config: { ...(spec?.config ?? {}) },
      legacyPorts: argv['legacy-ports'] ?? spec?.legacyPorts ?? false,
      portOffset: offset,
      dataRoot: env.dataRoot,
      redisUrl: env.redisUrl,
      redisKeyPrefix: env.redisKeyPrefix,
      errorBusEndpoint: env.errorBusEndpoint ?? cfg?.errorBusEndpoint,
      peers,
      log: createLogger(desc.name),
      instanceId: process.env.AGENT_SUITES_INSTANCE_ID || undefined,
      reservedPorts: cfg ? otherPortsOnMachine(cfg, desc.name) : [],
      // Started by the launcher next to the suites it depends on: start once they answer health.
      beforeSuiteStart: () => awaitDependencies(awaitedSuites(), (names) => log.info({ waiting_for: names }, 'waiting for dependencies')),
    });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `stopping ${desc.name}`);
      host.close().finally(() => process.exit(0));
      setTimeout(() => process.exit(1), 15_000).unref();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    try {
      await host.start();
    } catch (err) {
      // A damaged or too-new database will not mend by restarting: say why and exit with
      // EX_CONFIG, which the launcher takes as "do not restart".
      if (err instanceof CorruptDatabaseError || err instanceof SchemaTooNewError) {
        log.fatal({ file: (err as CorruptDatabaseError).file }, err.message);
        process.stderr.write(`agent-suites: ${err.message}\n`);
        process.exit(EXIT_REFUSED_DATA);
      }
      throw err;
    }
    process.stdout.write(
      JSON.stringify({ event: 'ready', suite: desc.name, pid: process.pid, port: host.opts.port, health_port: host.opts.healthPort, metrics_port: host.opts.metricsPort }) + '\n',
    );
  },
};

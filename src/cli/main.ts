import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';

/**
 * Command name → module. Only the module of the command being run is imported (a suite child
 * process started with `serve` should not pay for the migration or training code); --help and
 * unknown commands load them all.
 */
const COMMANDS: Record<string, () => Promise<Record<string, unknown>>> = {
  serve: () => import('./commands/serve.js'),
  call: () => import('./commands/call.js'),
  errorbus: () => import('./commands/errorbus.js'),
  errors: () => import('./commands/errorbus.js'),
  start: () => import('./commands/start.js'),
  status: () => import('./commands/status.js'),
  health: () => import('./commands/health.js'),
  train: () => import('./commands/trainLora.js'),
  migrate: () => import('./commands/migrate.js'),
  keys: () => import('./commands/keys.js'),
};

async function loadCommands(argv: string[]): Promise<CommandModule<any, any>[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const wanted = first && COMMANDS[first] ? [COMMANDS[first]!] : [...new Set(Object.values(COMMANDS))];
  const found = new Set<CommandModule<any, any>>();
  for (const load of wanted) {
    for (const value of Object.values(await load())) {
      if (value && typeof value === 'object' && 'command' in value && 'handler' in value) found.add(value as CommandModule);
    }
  }
  return [...found];
}

export async function main(argv = process.argv): Promise<void> {
  const args = hideBin(argv);
  let cli = yargs(args)
    .scriptName('agent-suites')
    .usage('$0 <command> [options]\n\nRuns MemoryHub, ModelManagerSuite and AdaptiveLearningSuite: ZeroMQ services that replace 23 legacy agents.');
  for (const cmd of await loadCommands(args)) cli = cli.command(cmd);
  await cli
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .recommendCommands()
    .wrap(process.stdout.isTTY ? Math.min(120, process.stdout.columns) : null)
    .epilogue(
      'Environment: PORT_OFFSET (shift every port), BIND_ADDRESS, DATA_DIR (default ./data), REDIS_URL\n' +
        '(default redis://127.0.0.1:6379; "none" to run without Redis), ERROR_BUS_ENDPOINT, MAINPC_IP, PC2_IP, LOG_LEVEL.',
    )
    .help()
    .alias('h', 'help')
    .version()
    .fail((msg, err) => {
      process.stderr.write(err ? `agent-suites: ${err.message}\n` : `agent-suites: ${msg}\nRun with --help for usage.\n`);
      process.exit(1);
    })
    .parseAsync();
}

import type { CommandModule } from 'yargs';
import { readFileSync } from 'node:fs';
import { findSuite } from '../../suites/registry.js';
import { ZmqClient } from '../../transport/ZmqClient.js';

interface CallArgs {
  target: string;
  request: string;
  msgpack?: boolean;
  timeout: number;
  retries: number;
  health?: boolean;
  host: string;
  stream?: boolean;
}

/** `MemoryHub`, `7010`, `127.0.0.1:7010` or `tcp://host:port` → a tcp endpoint (PORT_OFFSET applies to names). */
export function resolveEndpoint(target: string, host: string, health = false): string {
  if (target.startsWith('tcp://') || target.startsWith('ipc://')) return target;
  if (/^[\w.-]+:\d+$/.test(target)) return `tcp://${target}`;
  if (/^\d+$/.test(target)) return `tcp://${host}:${target}`;
  const suite = findSuite(target);
  if (!suite) throw new Error(`unknown target "${target}": give a suite name, a port, host:port or tcp://host:port`);
  const offset = Number(process.env.PORT_OFFSET ?? 0) || 0;
  return `tcp://${host}:${(health ? suite.healthPort : suite.port) + offset}`;
}

export const callCommand: CommandModule<object, CallArgs> = {
  command: 'call <target> <request>',
  describe: 'Send one request to a suite and print the JSON reply',
  builder: (y) =>
    y
      .positional('target', { type: 'string', demandOption: true, describe: 'Suite name, port, host:port or tcp://host:port' })
      .positional('request', { type: 'string', demandOption: true, describe: "JSON request, or @file.json, or - for stdin" })
      .option('msgpack', { type: 'boolean', describe: 'Encode the request as msgpack (the reply comes back in kind)' })
      .option('timeout', { type: 'number', default: 5000, describe: 'Reply timeout per attempt (ms)' })
      .option('retries', { type: 'number', default: 0, describe: 'Extra attempts on timeout (fresh socket each time)' })
      .option('health', { type: 'boolean', describe: "With a suite name: talk to its health socket" })
      .option('stream', { type: 'boolean', describe: 'Ask for a streamed reply and print each chunk as it comes' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Host for suite names and bare ports' })
      .example(`$0 call 127.0.0.1:7010 '{"action":"ping"}'`, 'health object of the hub')
      .example(`$0 call MemoryHub '{"action":"add_memory","content":"hello"}'`, 'store a memory'),
  handler: async (argv) => {
    const text = argv.request === '-' ? readFileSync(0, 'utf8') : argv.request.startsWith('@') ? readFileSync(argv.request.slice(1), 'utf8') : argv.request;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new Error(`the request is not valid JSON: ${(err as Error).message}`);
    }
    const client = new ZmqClient(resolveEndpoint(argv.target, argv.host, argv.health), {
      timeoutMs: argv.timeout,
      retries: argv.retries,
      msgpack: argv.msgpack,
    });
    try {
      const reply = argv.stream
        ? await client.stream(body as Record<string, unknown>, (chunk) => process.stdout.write(JSON.stringify(chunk) + '\n'))
        : await client.request(body);
      process.stdout.write(JSON.stringify(reply, null, 2) + '\n');
      if (reply && typeof reply === 'object' && (reply as Record<string, unknown>).status === 'error') process.exitCode = 2;
    } finally {
      client.close();
    }
  },
};

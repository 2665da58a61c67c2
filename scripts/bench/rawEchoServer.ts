import { Router } from 'zeromq';

/**
 * The raw limit: a bare zeromq.js ROUTER that sends every message straight back (envelope and
 * body untouched), no decoding, no routing. Run as a child process by the benchmarks:
 *   node --import tsx scripts/bench/rawEchoServer.ts <port>
 * Prints one JSON line {"event":"ready"} once bound; exits on SIGTERM/SIGINT.
 */
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: rawEchoServer.ts <port>\n');
  process.exit(2);
}
const socket = new Router({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
await socket.bind(`tcp://127.0.0.1:${port}`);
const stop = () => {
  socket.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdout.write(JSON.stringify({ event: 'ready', pid: process.pid, port }) + '\n');
for await (const msg of socket) await socket.send(msg);

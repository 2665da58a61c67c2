import type { BenchContext } from './BenchContext.js';
import { spawnRawEcho, spawnSuite, type BenchChild } from './benchProcesses.js';

/** The raw ROUTER echo server, started once per run. */
export function rawEcho(ctx: BenchContext): Promise<BenchChild> {
  return ctx.resource('raw-echo', spawnRawEcho, (c) => c.stop());
}

/** A suite child process shared by the cases that use it with the same `key`. */
export function suiteChild(ctx: BenchContext, name: string, config?: Record<string, unknown>, key = name): Promise<BenchChild> {
  return ctx.resource(`suite:${key}`, () => spawnSuite(name, { config }), (c) => c.stop());
}

export function releaseSuite(ctx: BenchContext, key: string): Promise<void> {
  return ctx.release(`suite:${key}`);
}

/** Cheap reply check for JSON replies of the suites: a success status somewhere in the frame. */
const SUCCESS = Buffer.from('"status":"success"');
export function isSuccess(reply: Buffer): boolean {
  return reply.indexOf(SUCCESS) >= 0;
}

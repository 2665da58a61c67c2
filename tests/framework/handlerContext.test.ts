import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HandlerContext, type AbortOwner } from '../../src/runtime/HandlerContext.js';
import { createLogger } from '../../src/runtime/logger.js';

const log = createLogger('test');
const ctx = (owner: AbortOwner) => new HandlerContext(owner, 'S', 'A', 'act', 'r1', { action: 'act' }, log, undefined);

test('no AbortController until a handler reads signal; release forgets it', () => {
  const owner: AbortOwner = { signals: new Set() };
  const c = ctx(owner);
  assert.is(owner.signals.size, 0);
  const s = c.signal;
  assert.is(c.signal, s, 'one signal per request');
  assert.is(owner.signals.size, 1, 'registered for shutdown');
  assert.not.ok(s.aborted);
  c.release();
  assert.is(owner.signals.size, 0);
});

test('a timeout aborts the signal, whether it was read before or after', () => {
  const owner: AbortOwner = { signals: new Set() };
  const early = ctx(owner);
  const s = early.signal;
  early.abort('timeout');
  assert.ok(s.aborted);
  assert.is(s.reason, 'timeout');
  const late = ctx(owner);
  late.abort('timeout');
  assert.ok(late.signal.aborted, 'read after the timeout: already aborted');
  assert.is(late.signal.reason, 'timeout');
});

test('after shutdown began a newly read signal starts aborted and is not registered', () => {
  const owner: { signals: Set<AbortController>; shutdownReason?: unknown } = { signals: new Set() };
  owner.shutdownReason = 'SHUTTING_DOWN';
  const c = ctx(owner);
  assert.ok(c.signal.aborted);
  assert.is(c.signal.reason, 'SHUTTING_DOWN');
  assert.is(owner.signals.size, 0);
});

test.run();

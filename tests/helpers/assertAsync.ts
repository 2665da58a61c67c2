import * as assert from 'uvu/assert';

/** Asserts that a promise-returning function rejects, optionally with a message matching `pattern`. */
export async function rejects(fn: () => Promise<unknown>, pattern?: RegExp): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    if (pattern) assert.match(String((err as Error)?.message ?? err), pattern);
    return err as Error;
  }
  assert.unreachable('expected the promise to reject');
  throw new Error('unreachable');
}

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { onlyNames } from '../../scripts/bench/caseSelection.js';

const IDS = ['transport-example', 'latency-example', 'transport-memoryhub', 'latency-memoryhub', 'durable-writes', 'migration'];

test('--only: a comma list and repeated flags both keep every name', () => {
  assert.equal(onlyNames(['--only', 'durable-writes,migration'], IDS), ['durable-writes', 'migration']);
  assert.equal(onlyNames(['--only', 'durable-writes', '--quick', '--only=migration'], IDS), ['durable-writes', 'migration']);
  assert.equal(onlyNames(['--quick'], IDS), []);
});

test('--only: a name that matches no case is refused with the list of cases', () => {
  assert.throws(() => onlyNames(['--only', 'migration,nosuch'], IDS), /no case matches nosuch \(cases: transport-example, .*migration\)/);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argValue, onlyNames } from '../../scripts/bench/benchArgs.js';

const IDS = ['transport-example', 'latency-example', 'transport-memoryhub', 'latency-memoryhub', 'durable-writes', 'migration'];

test('--only: a comma list and repeated flags both keep every name', () => {
  assert.equal(onlyNames(['--only', 'durable-writes,migration'], IDS), ['durable-writes', 'migration']);
  assert.equal(onlyNames(['--only', 'durable-writes', '--quick', '--only=migration'], IDS), ['durable-writes', 'migration']);
  assert.equal(onlyNames(['--quick'], IDS), []);
});

test('--only: a name that matches no case is refused with the list of cases', () => {
  assert.throws(() => onlyNames(['--only', 'migration,nosuch'], IDS), /no case matches nosuch \(cases: transport-example, .*migration\)/);
});

test('argValue: the first value, in either spelling', () => {
  assert.is(argValue(['--quick', '--out', 'a.json'], '--out'), 'a.json');
  assert.is(argValue(['--out=b.json'], '--out'), 'b.json');
  assert.is(argValue(['--out'], '--out'), undefined);
});

test.run();

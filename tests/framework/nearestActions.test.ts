import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editDistance, nearestActions } from '../../src/runtime/nearestActions.js';

const MEMORY = ['add_memory', 'get_memory', 'search_memory', 'semantic_search', 'delete_memory', 'kv.get', 'kv.set', 'ping', 'health_check'];

test('edit distance counts a swap of neighbours once', () => {
  assert.is(editDistance('get_memory', 'get_memory'), 0);
  assert.is(editDistance('get_memroy', 'get_memory'), 1);
  assert.is(editDistance('kv.gte', 'kv.get'), 1);
  assert.is(editDistance('', 'abc'), 3);
});

test('typos, other spellings and fragments find the intended action, best first', () => {
  assert.equal(nearestActions('get_memroy', MEMORY)[0], 'get_memory');
  assert.equal(nearestActions('getMemory', MEMORY)[0], 'get_memory');
  assert.equal(nearestActions('GET_MEMORY', MEMORY)[0], 'get_memory');
  assert.ok(nearestActions('search', MEMORY).includes('search_memory'));
  assert.equal(nearestActions('kv.put', MEMORY).slice(0, 2).sort(), ['kv.get', 'kv.set']);
});

test('nothing close → nothing named; at most three names', () => {
  assert.equal(nearestActions('frobnicate', MEMORY), []);
  assert.ok(nearestActions('memory', MEMORY).length <= 3);
});

test.run();

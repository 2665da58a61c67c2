// Data sets: plain text and JSONL records become token sequences from the model's own tokenizer,
// with the loss restricted to what the model should learn to produce.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { parseDataset, tokenizeDataset } from '../../src/suites/adaptive-learning/trainers/lora/dataset.js';
import { openModelTokenizer, type ModelTokenizer } from '../../src/suites/adaptive-learning/trainers/lora/modelTokenizer.js';
import { makeWindows } from '../../src/suites/adaptive-learning/trainers/lora/trainLoop.js';

let tok: ModelTokenizer;
test.before(async () => { tok = await openModelTokenizer(await ensureTinyModel()); });

test('plain text: BOS + tokens + EOS, every token after the first counts', async () => {
  const recs = parseDataset('notes.txt', 'hello world.\n\nthe quick brown fox.');
  assert.is(recs.length, 1);
  const [ex] = await tokenizeDataset(recs, tok);
  assert.is(ex!.tokens[0], tok.bos);
  assert.is(ex!.tokens.at(-1), tok.eos);
  assert.equal(ex!.tokens.slice(1, -1), tok.tokenize('hello world.\n\nthe quick brown fox.'));
  assert.is(ex!.weights[0], 0);
  assert.ok(ex!.weights.slice(1).every((w) => w === 1));
});

test('prompt/completion: only completion tokens (and EOS) count', async () => {
  const recs = parseDataset('d.jsonl', JSON.stringify({ prompt: 'the quick', completion: ' brown fox' }));
  const [ex] = await tokenizeDataset(recs, tok);
  const p = tok.tokenize('the quick').length;
  const c = tok.tokenize(' brown fox').length;
  assert.is(ex!.tokens.length, 1 + p + c + 1);
  assert.equal(ex!.weights, [0, ...Array(p).fill(0), ...Array(c + 1).fill(1)]);
});

test('chat messages: rendered with the chat template, loss on assistant turns only', async () => {
  const recs = parseDataset('d.jsonl', JSON.stringify({ messages: [
    { role: 'system', content: 'be brief' }, { role: 'user', content: 'hello' }, { role: 'assistant', content: 'the quick brown fox' },
  ] }));
  const [ex] = await tokenizeDataset(recs, tok);
  const learned = ex!.tokens.filter((_, i) => ex!.weights[i] === 1);
  const text = tok.tokenize('the quick brown fox');
  assert.ok(learned.length >= text.length - 1 && learned.length < ex!.tokens.length / 2, `learned ${learned.length} of ${ex!.tokens.length}`);
  // one contiguous learned span at the end (the assistant turn); system and user text are context only
  const firstLearned = ex!.weights.indexOf(1);
  assert.ok(firstLearned > tok.tokenize('be brief').length + tok.tokenize('hello').length);
  assert.ok(ex!.weights.slice(firstLearned).every((w) => w === 1));
  assert.is(ex!.tokens.at(-1), tok.eos, 'the reply ends with end-of-sequence, which is learned');
  assert.is(ex!.weights.at(-1), 1);
});

test('windows cut long examples with a stride of seqLen and skip spans with nothing to learn', () => {
  const tokens = Int32Array.from({ length: 21 }, (_, i) => i);
  const weights = Uint8Array.from({ length: 21 }, (_, i) => (i < 12 ? 0 : 1));
  const w = makeWindows([{ tokens, weights }], 8);
  // windows start at 0, 8, 16; the first has no counted target (positions 1..8) and is skipped
  assert.equal(w.map((x) => x.tokens[0]), [8, 16]);
  assert.equal(w.map((x) => x.tokens.length), [9, 5]);
});

test.after(async () => { await tok.dispose(); });
test.run();

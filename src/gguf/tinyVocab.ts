// Byte-fallback SentencePiece-style vocabulary for synthetic llama models: <unk>, <s>, </s>,
// the 256 byte tokens, "▁", then word pieces. Every prefix of a piece is in the vocabulary so the
// SPM merge loop (which only merges adjacent pairs into known pieces) can reach whole words.

export const SPACE = '\u2581';

export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

export interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
  unk: number;
  bos: number;
  eos: number;
}

const WORDS = (
  'the of and to in is it you that he was for on are with as his they be at one have this from or ' +
  'had by not but what some we can out other were all there when up use your how said an each she ' +
  'which do their time if will way about many then them write would like so these her long make ' +
  'thing see him two has look more day could go come did number sound no most people my over know ' +
  'water than call first who may down side been now find any new work part take get place made live ' +
  'where after back little only round man year came show every good me give our under name very ' +
  'through just form sentence great think say help low line differ turn cause much mean before move ' +
  'right boy old too same tell does set three want air well also play small end put home read hand ' +
  'model memory agent learn train data test hello world suite fox dog quick brown lazy jumps'
).split(' ');

const SUFFIXES = ['s', 'ed', 'ing', 'er', 'ly', 'tion'];

/** `extraControl`: control tokens appended after the word pieces (e.g. Phi-3's <|endoftext|>). */
export function buildTinyVocab(extraControl: readonly string[] = []): Vocab {
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL];
  const scores: number[] = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE.BYTE);
    scores.push(0);
  }
  const pieces: string[] = [SPACE];
  const seen = new Set(pieces);
  const add = (p: string): void => { if (!seen.has(p)) { seen.add(p); pieces.push(p); } };
  for (const ch of 'abcdefghijklmnopqrstuvwxyz') add(ch);
  for (const ch of 'abcdefghijklmnopqrstuvwxyz') add(SPACE + ch);
  for (const ch of '.,!?\'-:;0123456789') add(ch);
  for (const suf of SUFFIXES) for (let i = 1; i <= suf.length; i++) add(suf.slice(0, i));
  for (const w of WORDS) {
    const piece = SPACE + w;
    for (let i = 2; i <= piece.length; i++) add(piece.slice(0, i));
  }
  // Longer pieces score higher, so merges prefer completing a word to stopping at a prefix.
  pieces.forEach((p, i) => {
    tokens.push(p);
    types.push(TOKEN_TYPE.NORMAL);
    scores.push(-1000 + p.length * 10 - i * 0.001);
  });
  for (const t of extraControl) {
    tokens.push(t);
    types.push(TOKEN_TYPE.CONTROL);
    scores.push(0);
  }
  return { tokens, scores, types, unk: 0, bos: 1, eos: 2 };
}

// Training data: plain text, or JSONL with {"messages":[...]}, {"prompt","completion"} or {"text"}
// per line. Parsing reports every bad line by number; tokenizing uses the model's own tokenizer
// (node-llama-cpp) and, for chat data, the model's chat template.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { LoraTrainError } from './LoraTrainError.js';

export type DataRecord =
  | { kind: 'text'; text: string; line?: number }
  | { kind: 'pair'; prompt: string; completion: string; line: number }
  | { kind: 'chat'; messages: { role: 'system' | 'user' | 'assistant'; content: string }[]; line: number };

/** One tokenized example; `weights[i]` is 1 where predicting tokens[i] counts toward the loss. */
export interface TokenizedExample {
  tokens: number[];
  weights: number[];
}

const ROLES = new Set(['system', 'user', 'assistant']);
const MAX_LISTED_ERRORS = 20;

function isJsonl(path: string, content: string): boolean {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return true;
  if (ext === '.txt' || ext === '.md') return false;
  const first = content.split('\n').find((l) => l.trim() !== '');
  return !!first && first.trim().startsWith('{');
}

function parseLine(obj: unknown, line: number): DataRecord | string {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return 'not a JSON object';
  const o = obj as Record<string, unknown>;
  if ('messages' in o) {
    if (!Array.isArray(o.messages) || o.messages.length === 0) return '"messages" must be a non-empty array';
    const messages: { role: 'system' | 'user' | 'assistant'; content: string }[] = [];
    for (const [i, m] of o.messages.entries()) {
      const mm = m as Record<string, unknown> | null;
      if (!mm || typeof mm !== 'object' || typeof mm.role !== 'string' || !ROLES.has(mm.role)) {
        return `messages[${i}].role must be system, user or assistant`;
      }
      if (typeof mm.content !== 'string') return `messages[${i}].content must be a string`;
      messages.push({ role: mm.role as 'system' | 'user' | 'assistant', content: mm.content });
    }
    if (!messages.some((m) => m.role === 'assistant')) return 'no assistant message to learn from';
    return { kind: 'chat', messages, line };
  }
  if ('prompt' in o || 'completion' in o) {
    if (typeof o.prompt !== 'string' || typeof o.completion !== 'string') return '"prompt" and "completion" must both be strings';
    if (o.completion === '') return '"completion" is empty';
    return { kind: 'pair', prompt: o.prompt, completion: o.completion, line };
  }
  if ('text' in o) {
    if (typeof o.text !== 'string' || o.text.trim() === '') return '"text" must be a non-empty string';
    return { kind: 'text', text: o.text, line };
  }
  return 'expected "messages", "prompt"/"completion" or "text"';
}

/** Parses a data file's content; throws DATA_INVALID listing bad lines, DATA_EMPTY if nothing usable. */
export function parseDataset(path: string, content: string): DataRecord[] {
  if (!isJsonl(path, content)) {
    if (content.trim() === '') throw new LoraTrainError('DATA_EMPTY', `${path}: the data file is empty`);
    return [{ kind: 'text', text: content }];
  }
  const records: DataRecord[] = [];
  const errors: string[] = [];
  content.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      errors.push(`line ${line}: invalid JSON (${(err as Error).message})`);
      return;
    }
    const rec = parseLine(obj, line);
    if (typeof rec === 'string') errors.push(`line ${line}: ${rec}`);
    else records.push(rec);
  });
  if (errors.length > 0) {
    const listed = errors.slice(0, MAX_LISTED_ERRORS).join('; ');
    const more = errors.length > MAX_LISTED_ERRORS ? ` (and ${errors.length - MAX_LISTED_ERRORS} more)` : '';
    throw new LoraTrainError('DATA_INVALID', `${path}: ${errors.length} bad line(s): ${listed}${more}`, { errors });
  }
  if (records.length === 0) throw new LoraTrainError('DATA_EMPTY', `${path}: no training records`);
  return records;
}

export async function readDataset(path: string): Promise<DataRecord[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LoraTrainError('FILE_NOT_FOUND', `data file not found: ${path}`);
    throw err;
  }
  return parseDataset(path, content);
}

/** What tokenizing needs from the model; implemented over node-llama-cpp in modelTokenizer.ts. */
export interface DatasetTokenizer {
  bos?: number;
  eos?: number;
  /** Plain text, no special tokens added. */
  tokenize(text: string): number[];
  /** Full chat rendered with the model's template, special tokens included. */
  tokenizeChat(messages: { role: 'system' | 'user' | 'assistant'; content: string }[]): number[];
}

function isPrefix(prefix: number[], full: number[]): boolean {
  if (prefix.length > full.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== full[i]) return false;
  return true;
}

/** Chat: learn only the assistant turns. Each turn's span is found by tokenizing the history up to it. */
function tokenizeChatRecord(tok: DatasetTokenizer, messages: { role: 'system' | 'user' | 'assistant'; content: string }[]): TokenizedExample {
  const tokens = tok.tokenizeChat(messages);
  const weights = new Array<number>(tokens.length).fill(0);
  let masked = true;
  for (let i = 0; i < messages.length; i++) {
    if (messages[i]!.role !== 'assistant') continue;
    const before = tok.tokenizeChat(messages.slice(0, i));
    const through = tok.tokenizeChat(messages.slice(0, i + 1));
    if (!isPrefix(before, through) || !isPrefix(through.slice(0, before.length), tokens)) { masked = false; break; }
    // Count up to the end of this turn within the full rendering (template may add a closing token).
    const end = Math.min(tokens.length, through.length);
    for (let t = before.length; t < end; t++) weights[t] = 1;
  }
  if (!masked || !weights.some((w) => w)) weights.fill(1);
  // A rendering that ends in the assistant's reply leaves the turn open; teach the model to stop.
  if (messages.at(-1)!.role === 'assistant' && tok.eos !== undefined && tokens.at(-1) !== tok.eos) {
    tokens.push(tok.eos);
    weights.push(1);
  }
  weights[0] = 0; // the first token is never predicted
  return { tokens, weights };
}

/** Turns records into token sequences; yields to the event loop between records. */
export async function tokenizeDataset(records: DataRecord[], tok: DatasetTokenizer): Promise<TokenizedExample[]> {
  const out: TokenizedExample[] = [];
  const bos = tok.bos !== undefined ? [tok.bos] : [];
  const eos = tok.eos !== undefined ? [tok.eos] : [];
  for (const [i, rec] of records.entries()) {
    if (i % 64 === 63) await new Promise((r) => setImmediate(r));
    if (rec.kind === 'text') {
      const tokens = [...bos, ...tok.tokenize(rec.text), ...eos];
      out.push({ tokens, weights: tokens.map((_, j) => (j === 0 ? 0 : 1)) });
    } else if (rec.kind === 'pair') {
      const p = tok.tokenize(rec.prompt);
      const c = tok.tokenize(rec.completion);
      const tokens = [...bos, ...p, ...c, ...eos];
      const start = bos.length + p.length;
      out.push({ tokens, weights: tokens.map((_, j) => (j >= Math.max(1, start) ? 1 : 0)) });
    } else {
      out.push(tokenizeChatRecord(tok, rec.messages));
    }
  }
  const trainable = out.reduce((n, e) => n + e.weights.reduce((a, b) => a + b, 0), 0);
  if (trainable === 0) throw new LoraTrainError('DATA_EMPTY', 'the data set has no tokens to learn from');
  return out;
}

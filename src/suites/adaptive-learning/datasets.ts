import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where one data set's examples come from: a file (JSON, JSON array or JSONL) or records in memory. */
export type DatasetSource = { file: string } | { records: unknown[] };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v : undefined;
}

/**
 * One training text from the record shapes that reach the suite: stream interactions
 * (`user_input`/`assistant_response`, learning_suite.md §6.1), the integration-test shape
 * (`user_query`/`agent_response`/`user_correction`), few-shot examples (`input`/`output`),
 * prompt/completion pairs, or plain `text`. A user correction, when given, is the target answer.
 */
export function recordToText(rec: unknown): string | undefined {
  if (typeof rec === 'string') return str(rec);
  if (typeof rec !== 'object' || rec === null) return undefined;
  const r = rec as Record<string, unknown>;
  if (typeof r.data === 'object' && r.data !== null && !str(r.text) && !str(r.user_input)) return recordToText(r.data);
  if (typeof r.interaction === 'object' && r.interaction !== null) return recordToText(r.interaction);
  const text = str(r.text);
  if (text) return text;
  const user = str(r.user_input) ?? str(r.user_query) ?? str(r.input) ?? str(r.prompt) ?? str(r.question);
  const answer = str(r.corrected_response) ?? str(r.user_correction) ?? str(r.label) ?? str(r.assistant_response) ?? str(r.agent_response) ?? str(r.output) ?? str(r.completion) ?? str(r.answer);
  if (user && answer) return `User: ${user}\nAssistant: ${answer}`;
  return user ?? answer;
}

function readRecords(file: string): unknown[] {
  const raw = readFileSync(file, 'utf8');
  const trimmed = raw.trim();
  if (!trimmed) return [];
  try {
    const v = JSON.parse(trimmed) as unknown;
    return Array.isArray(v) ? v : [v];
  } catch {
    return trimmed.split('\n').filter((l) => l.trim()).map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new Error(`${file}: line ${i + 1} is not JSON`);
      }
    });
  }
}

/** Writes the normalised JSONL data set (`{"text": …}` per line) and returns how many examples it holds. */
export function buildDataset(sources: DatasetSource[], outPath: string): number {
  const lines: string[] = [];
  for (const s of sources) {
    const recs = 'file' in s ? readRecords(s.file) : s.records;
    for (const r of recs) {
      const text = recordToText(r);
      if (text) lines.push(JSON.stringify({ text }));
    }
  }
  if (lines.length === 0) throw new Error('the data set is empty: no usable examples in the given sources');
  mkdirSync(dirname(outPath), { recursive: true });
  const tmp = `${outPath}.tmp`;
  writeFileSync(tmp, lines.join('\n') + '\n');
  renameSync(tmp, outPath);
  return lines.length;
}

/**
 * Moves every k-th example of a JSONL data set into a held-out file (k = 1/fraction), so the
 * adapter can be judged on text it never trained on. Data sets under `minExamples` stay whole.
 * Returns how many examples were held out.
 */
export function splitHoldout(datasetPath: string, holdoutPath: string, fraction = 0.1, minExamples = 5): number {
  const lines = readFileSync(datasetPath, 'utf8').split('\n').filter((l) => l.trim());
  if (lines.length < minExamples || fraction <= 0) return 0;
  const every = Math.max(2, Math.round(1 / fraction));
  const train: string[] = [];
  const held: string[] = [];
  lines.forEach((l, i) => ((i + 1) % every === 0 ? held : train).push(l));
  if (held.length === 0) return 0;
  writeFileSync(`${datasetPath}.tmp`, train.join('\n') + '\n');
  renameSync(`${datasetPath}.tmp`, datasetPath);
  writeFileSync(holdoutPath, held.join('\n') + '\n');
  return held.length;
}

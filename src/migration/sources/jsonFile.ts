import { readFileSync } from 'node:fs';
import type { TargetSlug } from '../targets.js';
import type { SourceRow, SourceUnit, TableMapping } from '../types.js';
import { unitId } from './legacyDb.js';

/** A legacy JSON file found under --from: its path relative to --from and the absolute one. */
export interface LegacyFile {
  readonly rel: string;
  readonly abs: string;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string; text: string };

export function readJson(file: LegacyFile): Parsed {
  const text = readFileSync(file.abs, 'utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: (err as Error).message, text };
  }
}

/** A section of a JSON file (e.g. `sessions` of memory_store.json) as a source unit. */
export function sectionUnit(
  file: LegacyFile,
  spec: { kind: string; part: string; suite: TargetSlug; order: number; mapping: TableMapping; rows: () => SourceRow[] },
): SourceUnit {
  let cached: SourceRow[] | undefined;
  const all = (): SourceRow[] => (cached ??= spec.rows());
  return {
    unit: unitId(spec.kind, file.rel, spec.part),
    label: `${spec.kind}.${spec.part}`,
    sourceFile: file.rel,
    suite: spec.suite,
    order: spec.order,
    mapping: spec.mapping,
    count: () => all().length,
    rows: () => all(),
  };
}

/** A file that does not parse: kept whole, as one reject, so it is reported and not lost. */
export function brokenFileUnit(file: LegacyFile, kind: string, suite: TargetSlug, parsed: Extract<Parsed, { ok: false }>): SourceUnit {
  return sectionUnit(file, {
    kind, part: 'file', suite, order: 50,
    mapping: { targetTable: null, noTargetReason: `file is not valid JSON (${parsed.error})`, compare: [], toTarget: () => ({}) },
    rows: () => [{ key: '(whole file)', data: { text: parsed.text } }],
  });
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

import type { BenchRow } from './benchTypes.js';

function num(v: number | null): string {
  if (v === null) return '-';
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v);
}

/** The results as an aligned text table (also used for the README section). */
export function formatTable(rows: BenchRow[]): string {
  const head = ['case', 'metric', 'value', 'unit', 'baseline', 'baseline value', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [
    r.name,
    r.metric,
    r.value === null ? 'skipped*' : num(r.value),
    r.unit,
    r.baseline_name ?? '-',
    num(r.baseline_value),
    r.ratio === null ? '-' : r.ratio.toFixed(r.ratio >= 100 ? 0 : 3),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const numeric = new Set([2, 5, 6]);
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const skipped = rows.filter((r) => r.value === null).map((r) => `* ${r.name} · ${r.metric}: ${r.note ?? 'skipped'}`);
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ...(skipped.length ? ['', ...skipped] : [])].join('\n');
}

/** The same rows as a Markdown table. */
export function formatMarkdown(rows: BenchRow[]): string {
  const out = ['| case | metric | value | unit | baseline | baseline value | ratio | target | met |', '| --- | --- | ---: | --- | --- | ---: | ---: | --- | --- |'];
  for (const r of rows) {
    const value = r.value === null ? (r.note ?? 'skipped') : num(r.value);
    const ratio = r.ratio === null ? '-' : r.ratio.toFixed(3);
    const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    out.push(`| ${esc(r.name)} | ${esc(r.metric)} | ${esc(value)} | ${r.unit} | ${esc(r.baseline_name ?? '-')} | ${num(r.baseline_value)} | ${ratio} | ${esc(r.target ?? '')} | ${met} |`);
  }
  const notes = rows.filter((r) => r.value !== null && r.note).map((r) => `- ${r.name} · ${r.metric}: ${r.note}`);
  return [...out, ...(notes.length ? ['', 'Notes:', '', ...notes] : [])].join('\n');
}

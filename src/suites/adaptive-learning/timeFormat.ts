/** Timestamp helpers matching the legacy Python forms (learning_suite.md §2.2, §5.2). */

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Local naive ISO with microseconds, like Python `datetime.now().isoformat()`. */
export function localIso(d = new Date()): string {
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}000`
  );
}

/** UTC naive ISO with microseconds, like Python `datetime.utcnow().isoformat()`. */
export function utcIso(d = new Date()): string {
  return d.toISOString().replace('Z', '000');
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2}(?::?\d{2})?)?)?$/;

/**
 * Accepts what Python's `datetime.fromisoformat` accepts for the common cases (date, date+time,
 * fractions, offsets) and answers with the string as given; throws Python's wording otherwise.
 */
export function checkIsoFormat(s: string): string {
  const m = ISO_RE.exec(s);
  const bad = () => new Error(`Invalid isoformat string: '${s}'`);
  if (!m) throw bad();
  const [y, mo, d, h = '0', mi = '0', se = '0'] = m.slice(1).map((x) => x ?? undefined) as string[];
  const month = Number(mo);
  const day = Number(d);
  const dim = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > dim || Number(h) > 23 || Number(mi) > 59 || Number(se) > 59) throw bad();
  return s;
}

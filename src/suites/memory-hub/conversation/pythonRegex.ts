/**
 * Translates the Python `re` syntax UMRA error patterns were written in to a JavaScript RegExp
 * (memory_hub.md §2.5.3, §5.10). Handles named groups `(?P<n>…)`, back-references `(?P=n)`,
 * `\A`, `\Z`, and leading inline flags `(?i)`, `(?s)`, `(?m)`, `(?x)` (verbose: whitespace and
 * `#` comments removed). Matching is always case-insensitive, as in legacy. Throws SyntaxError
 * for a pattern neither language accepts.
 */
export function compilePythonRegex(pattern: string): RegExp {
  let src = pattern;
  let flags = 'i';
  let verbose = false;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1]!) {
      if (f === 's' && !flags.includes('s')) flags += 's';
      if (f === 'm' && !flags.includes('m')) flags += 'm';
      if (f === 'x') verbose = true;
    }
  }
  if (verbose) src = stripVerbose(src);
  src = src
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])\\A/g, '$1(?<![\\s\\S])')
    .replace(/(^|[^\\])\\Z/g, '$1(?![\\s\\S])');
  return new RegExp(src, flags);
}

function stripVerbose(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\' && i + 1 < src.length) {
      out += c + src[++i];
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      continue;
    }
    if (/\s/.test(c)) continue;
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    out += c;
  }
  return out;
}

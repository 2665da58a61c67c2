/**
 * Environment expansion for startup YAML values.
 *
 * Two forms occur in the legacy files (infrastructure.md §3.5): `${VAR}` / `${VAR:-default}` inside
 * any string, and port expressions such as `${PORT_OFFSET}+7200`, whose terms are added after
 * substitution. A missing PORT_OFFSET counts as 0.
 */

export type Env = Readonly<Record<string, string | undefined>>;

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g;
/** A sum of integer terms and ${...} references, nothing else. */
const SUM_RE = /^\s*(?:\d+|\$\{[^}]+\})(?:\s*\+\s*(?:\d+|\$\{[^}]+\}))+\s*$/;

/** Replaces `${VAR}` and `${VAR:-default}`; an unset variable without default becomes ''. */
export function expandString(value: string, env: Env): string {
  return value.replace(VAR_RE, (_m, name: string, def: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    return name === 'PORT_OFFSET' ? '0' : '';
  });
}

/** True when the string is an arithmetic port expression such as `${PORT_OFFSET}+7010`. */
export function isSumExpression(value: string): boolean {
  return SUM_RE.test(value);
}

export type PortValue = { ok: true; port: number; expression: boolean } | { ok: false; problem: string };

/**
 * Evaluates one port value.
 * - an integer (or a string of digits) is a base port: `offset` is added;
 * - a string with `${...}` is an expression: variables substituted, `+` terms summed, no extra offset.
 */
export function evaluatePort(raw: unknown, env: Env, offset: number): PortValue {
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return { ok: false, problem: `${raw} is not an integer` };
    return checkRange(raw + offset, false, String(raw));
  }
  if (typeof raw !== 'string') return { ok: false, problem: `expected a port number or "\${PORT_OFFSET}+N", got ${JSON.stringify(raw)}` };
  const text = raw.trim();
  if (/^\d+$/.test(text)) return checkRange(Number(text) + offset, false, text);
  if (!text.includes('${')) return { ok: false, problem: `"${raw}" is not a port number or port expression` };
  const missing: string[] = [];
  const substituted = text.replace(VAR_RE, (_m, name: string, def: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    if (name === 'PORT_OFFSET') return '0';
    missing.push(name);
    return '0';
  });
  if (missing.length) return { ok: false, problem: `"${raw}" uses unset variable ${missing.join(', ')}` };
  const terms = substituted.split('+').map((t) => t.trim());
  if (terms.some((t) => !/^-?\d+$/.test(t))) {
    return { ok: false, problem: `"${raw}" does not evaluate to a sum of integers (got "${substituted}")` };
  }
  return checkRange(terms.reduce((sum, t) => sum + Number(t), 0), true, text);
}

function checkRange(port: number, expression: boolean, source: string): PortValue {
  if (port < 1 || port > 65535) return { ok: false, problem: `${source} gives port ${port}, outside 1..65535` };
  return { ok: true, port, expression };
}

/** Reads PORT_OFFSET (an integer, default 0); throws a clear error on garbage. */
export function portOffsetFrom(env: Env, name = 'PORT_OFFSET'): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return 0;
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`${name} must be an integer, got "${raw}"`);
  return Number(raw.trim());
}

/**
 * Expands every string inside a free-form `config:` map. Strings that are whole port expressions
 * (`${PORT_OFFSET}+5714`) become numbers; other strings get `${VAR:-default}` substitution.
 */
export function expandTree(value: unknown, env: Env): unknown {
  if (typeof value === 'string') {
    if (isSumExpression(value)) {
      const r = evaluatePort(value, env, 0);
      if (r.ok) return r.port;
    }
    return expandString(value, env);
  }
  if (Array.isArray(value)) return value.map((v) => expandTree(v, env));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandTree(v, env);
    return out;
  }
  return value;
}

/** Deep-freezes plain objects and arrays in place and returns the value. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

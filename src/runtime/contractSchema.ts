import { z } from 'zod';

/** A JSON Schema (2020-12) document or fragment. */
export type JsonSchema = Record<string, unknown>;

/**
 * Metadata keys the contract schemas in contracts/ may carry (see contracts/agentChecked.ts):
 * `x-json` replaces the generated schema of a field with the JSON Schema the agent enforces itself,
 * `x-required` marks a field the agent refuses a request without (in its legacy wording): `true`,
 * or a JSON Schema patch with what else it insists on.
 */
export const JSON_KEY = 'x-json';
export const REQUIRED_KEY = 'x-required';

const SAFE_INT_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A required field: null does not count as present (the agents read `dict.get` + truthiness), and
 * `patch` adds what else the agent insists on (e.g. minLength 1 where "" counts as missing).
 */
function tighten(s: JsonSchema, patch: JsonSchema): JsonSchema {
  const out = { ...s };
  if (Array.isArray(out.type)) {
    const types = (out.type as string[]).filter((t) => t !== 'null');
    out.type = types.length === 1 ? types[0] : types;
  }
  if (Array.isArray(out.anyOf)) {
    const branches = (out.anyOf as JsonSchema[]).filter((b) => b.type !== 'null');
    if (branches.length === 1) {
      delete out.anyOf;
      Object.assign(out, branches[0]);
    } else out.anyOf = branches;
  }
  return { ...out, ...patch };
}

/** Cleans zod's output for readers: applies the contract metadata, drops noise, flattens anyOf. */
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (!isObject(node)) return node;
  let s: JsonSchema = node;
  if (isObject(s[JSON_KEY])) {
    const { [JSON_KEY]: replacement, description, [REQUIRED_KEY]: req } = s;
    s = { ...(replacement as JsonSchema), ...(description ? { description } : {}), ...(req ? { [REQUIRED_KEY]: req } : {}) };
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-') && k !== REQUIRED_KEY) continue;
    if ((k === 'maximum' || k === 'minimum') && SAFE_INT_BOUNDS.has(v as number)) continue;
    if (k === 'propertyNames' && isObject(v) && v.type === 'string' && Object.keys(v).length === 1) continue;
    out[k] = clean(v);
  }
  if (Array.isArray(out.anyOf)) {
    // zod nests unions of unions; one level reads the same.
    out.anyOf = (out.anyOf as JsonSchema[]).flatMap((b) => (Object.keys(b).length === 1 && Array.isArray(b.anyOf) ? (b.anyOf as JsonSchema[]) : [b]));
  }
  if (isObject(out.properties)) {
    const required = new Set<string>(Array.isArray(out.required) ? (out.required as string[]) : []);
    const props: JsonSchema = {};
    for (const [name, prop] of Object.entries(out.properties)) {
      if (isObject(prop) && prop[REQUIRED_KEY]) {
        const { [REQUIRED_KEY]: patch, ...rest } = prop;
        props[name] = tighten(rest, isObject(patch) ? patch : {});
        required.add(name);
      } else props[name] = prop;
    }
    out.properties = props;
    if (required.size) out.required = [...required];
  }
  return out;
}

/** Drops a required marker nothing consumed (one not directly under `properties`). */
function stripMarkers(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripMarkers);
  if (!isObject(node)) return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => k !== REQUIRED_KEY).map(([k, v]) => [k, stripMarkers(v)]));
}

/**
 * JSON Schema (draft 2020-12) of what a zod schema accepts (`input`) or produces (`output`), for the
 * published contracts (contracts/schema/, REFERENCE.md, suite.describe). Refinements (a cross-field
 * rule, a custom check) have no JSON Schema form and are left out; fields an agent checks itself
 * carry the type it enforces (`x-json`). tests/contracts/jsonSchema.test.ts checks the result
 * against the legacy requests the suites accept.
 */
export function toContractSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const raw = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', cycles: 'ref', reused: 'inline' }) as JsonSchema;
  const { $schema: _drop, ...rest } = raw;
  return stripMarkers(clean(rest)) as JsonSchema;
}

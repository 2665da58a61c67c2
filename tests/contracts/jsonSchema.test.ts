import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { buildContracts, type GeneratedFile } from '../../scripts/contracts/buildContracts.js';
import { ENVELOPE_FIELDS, WRITE_ACTIONS } from '../../contracts/writeActions.js';
import { normalizeRequest } from '../../src/runtime/normalizeRequest.js';
import { validateParams } from '../../src/runtime/validateParams.js';
import { findSuite } from '../../src/suites/registry.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { loadVectors, type Vector } from '../helpers/vectors.js';

/**
 * contracts/schema (JSON Schema 2020-12) and contracts/REFERENCE.md are what `npm run contracts`
 * generates from the suites' own request schemas, they are valid JSON Schema for a well-kept
 * validator (ajv, strict mode), and they agree with the legacy vectors: every request the suite
 * accepts validates against its action's schema, and every request an agent refuses for a missing
 * field fails it.
 */
const root = new URL('../..', import.meta.url).pathname;

let generated: GeneratedFile[];
const documents = new Map<string, Record<string, any>>(); // "<slug>/<Agent>" → document
// Strict mode: unknown keywords and formats are errors. Two plain 2020-12 forms it would flag are
// used on purpose: `type: [a, b]`, and `anyOf: [{required: [x]}, …]` naming properties defined beside it.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, strictRequired: false, allErrors: true });

test.before(async () => {
  generated = await buildContracts();
  for (const f of generated) {
    const m = /^contracts\/schema\/([^/]+)\/([^/]+)\.schema\.json$/.exec(f.path);
    if (m) documents.set(`${m[1]}/${m[2]}`, JSON.parse(f.content));
  }
  for (const doc of documents.values()) ajv.addSchema(doc);
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

test('the committed contracts are what `npm run contracts` generates (run it after changing a schema)', () => {
  const stale: string[] = [];
  for (const f of generated) {
    let onDisk = '';
    try {
      onDisk = readFileSync(join(root, f.path), 'utf8');
    } catch {
      /* missing */
    }
    if (onDisk !== f.content) stale.push(f.path);
  }
  const expected = new Set(generated.map((f) => f.path));
  const extra = listFiles(join(root, 'contracts/schema')).map((p) => relative(root, p)).filter((p) => !expected.has(p));
  assert.equal(stale, [], `out of date: ${stale.join(', ')} — run npm run contracts`);
  assert.equal(extra, [], 'schema files of agents that no longer exist');
});

test('one document per agent, one request definition per action; every document compiles in ajv strict mode', () => {
  assert.ok(documents.size >= 23, `${documents.size} documents`);
  let requests = 0;
  for (const [name, doc] of documents) {
    assert.is(doc.$schema, 'https://json-schema.org/draft/2020-12/schema', name);
    for (const key of Object.keys(doc.$defs)) {
      if (!key.endsWith('.request') && !key.endsWith('.reply')) continue;
      if (key.endsWith('.request')) requests++;
      assert.ok(ajv.getSchema(`${doc.$id}#/$defs/${key}`), `${name} ${key} compiles`);
    }
  }
  assert.ok(requests >= 150, `${requests} request definitions`);
  // No field of a legacy agent is left without a type ("any JSON") unless it really takes any JSON.
  const reference = generated.find((f) => f.path === 'contracts/REFERENCE.md')!.content;
  const untyped = reference.split('\n').filter((l) => /`\w+`\??: any JSON(?! except)/.test(l)).map((l) => l.slice(0, 60));
  assert.equal(untyped.length <= 5, true, `fields without a type: ${untyped.join(' / ')}`);
});

test('a write action\'s request schema is closed exactly as the suite refuses fields (UNKNOWN_FIELD): every field it takes is allowed, any other is not', () => {
  const docOf = (agent: string) => [...documents.entries()].find(([k]) => k.endsWith(`/${agent}`))?.[1];
  let closed = 0;
  for (const [agent, actions] of Object.entries(WRITE_ACTIONS)) {
    const doc = docOf(agent)!;
    assert.ok(doc, `${agent} has a document`);
    for (const [action, spec] of Object.entries(actions)) {
      const def = doc.$defs[`${action}.request`];
      const validate = ajv.getSchema(`${doc.$id}#/$defs/${action}.request`)!;
      const strayErrors = (body: Record<string, unknown>) =>
        (validate(body), (validate.errors ?? []).filter((e) => e.keyword === 'additionalProperties').map((e) => String(e.params.additionalProperty)));
      if (spec.open) {
        assert.is(def.additionalProperties, undefined, `${agent}.${action} takes every field`);
        continue;
      }
      closed++;
      assert.is(def.additionalProperties, false, `${agent}.${action} is closed`);
      assert.equal(strayErrors({ action, zz_not_a_field: 1 }), ['zz_not_a_field'], `${agent}.${action} refuses an unknown field`);
      for (const k of [...ENVELOPE_FIELDS, ...(spec.fields ?? []), ...Object.keys(def.properties)]) {
        assert.equal(strayErrors({ action, [k]: 1 }), [], `${agent}.${action} takes ${k}`);
      }
    }
  }
  assert.ok(closed >= 50, `${closed} closed write actions`);
});

/** Suite, its vector file, and how many accepted requests at least must be checked (the file's count today). */
const SUITE_VECTORS: Array<[string, string, number]> = [
  ['MemoryHub', 'memory_hub.json', 50],
  ['ModelManagerSuite', 'model_manager.json', 30],
  ['AdaptiveLearningSuite', 'learning_suite.json', 20],
];

/** A vector whose expected reply says the request succeeded (the suite accepts it). */
function expectsSuccess(v: Vector): boolean {
  const e = JSON.stringify(v.expect);
  return !/^(error|ERROR)$/.test(String(v.expect.status_value ?? '')) && !/Unknown action/.test(e);
}
/** A vector whose expected reply refuses the request for a missing field. */
function expectsMissingField(v: Vector): boolean {
  return /^(error|ERROR)$/.test(String(v.expect.status_value ?? '')) && /required|Missing/.test(JSON.stringify(v.expect));
}

for (const [suiteName, file, floor] of SUITE_VECTORS) {
  test(`${suiteName}: legacy vector requests against their JSON Schema`, async () => {
    const slug = findSuite(suiteName)!.slug;
    let s: TestSuite | undefined;
    try {
      s = await startTestSuite(suiteName, { redisUrl: false, config: { gpu: false } });
      const router = s.host.router;
      const accepted: string[] = [];
      const problems: string[] = [];
      let refusedChecked = 0;
      for (const [index, v] of loadVectors(file).entries()) {
        if ((v.variant && v.variant !== 'intended') || !v.request || v.raw_frame !== undefined) continue;
        const req = normalizeRequest(v.request);
        const verb = req.action;
        if (!verb) continue;
        // The agent the vector was written for, as on its legacy port; the suite itself → its routing.
        const agentName = String(v.agent ?? '').replace(/\s*\(.*$/, '');
        const fixed = router.getAgent(agentName) ? agentName : undefined;
        const routed = router.resolve(req, verb, fixed);
        if (!routed) continue; // health verbs answered by the runtime, refusals of unknown verbs
        const doc = documents.get(`${slug}/${routed.agent.name}`)!;
        const validate = ajv.getSchema(`${doc.$id}#/$defs/${routed.action}.request`)!;
        // The canonical form the schema describes: the parameter view, the verb as `action`.
        const canonical: Record<string, unknown> = { ...req.params };
        if (req.discriminator && req.discriminator !== 'action' && !(req.discriminator in ((doc.$defs[`${routed.action}.request`].properties ?? {}) as object))) {
          delete canonical[req.discriminator];
        }
        canonical.action = routed.action;
        const ok = validate(canonical);
        const label = `#${index} ${routed.agent.name}.${routed.action} ${JSON.stringify(v.request).slice(0, 120)}`;
        if (expectsSuccess(v) && validateParams(routed.def.params, req.params, routed.action).ok) {
          accepted.push(label);
          if (!ok) problems.push(`accepted but invalid: ${label}: ${ajv.errorsText(validate.errors)}`);
        } else if (expectsMissingField(v)) {
          refusedChecked++;
          if (ok) problems.push(`refused for a missing field but valid: ${label} (expects ${JSON.stringify(v.expect.values ?? v.expect).slice(0, 100)})`);
        }
      }
      assert.equal(problems, []);
      assert.ok(accepted.length >= floor, `${accepted.length} accepted vector requests checked`);
      if (suiteName === 'MemoryHub') assert.ok(refusedChecked >= 20, `${refusedChecked} refusals checked`);
    } finally {
      await s?.close();
    }
  });
}

test.run();

import type { ActionDefinition } from '../../src/runtime/Agent.js';
import { toContractSchema, type JsonSchema } from '../../src/runtime/contractSchema.js';
import type { CollectedAgent, CollectedSuite } from './collectSuites.js';
import { ENVELOPE_FIELDS, WRITE_ACTIONS } from '../../contracts/writeActions.js';

export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Every failed request is answered like this (ARCHITECTURE.md "Conventions"). */
const ERROR_REPLY: JsonSchema = {
  description: 'A failed request: `message` and `error` carry the same text; `code` names runtime errors (UNKNOWN_ACTION, INVALID_PARAMS, PATH_NOT_ALLOWED, …).',
  type: 'object',
  properties: {
    status: { const: 'error' },
    message: { type: 'string' },
    error: { type: 'string' },
    code: { type: 'string' },
    request_id: { type: ['string', 'number'] },
  },
  required: ['status'],
};

/** File of one agent's document, relative to the repository root. */
export function schemaPath(suite: CollectedSuite, agent: CollectedAgent): string {
  return `contracts/schema/${suite.descriptor.slug}/${agent.name}.schema.json`;
}

export const requestDefName = (action: string): string => `${action}.request`;
export const replyDefName = (action: string): string => `${action}.reply`;

/**
 * A key every request may carry that a closed (write) request names only so that it is allowed:
 * legacy metadata, routing, auth, the verb's other names, the `data`/`payload` wrappers.
 */
export const ENVELOPE_KEY: JsonSchema = { $ref: '#/$defs/EnvelopeKey' };
const ENVELOPE_KEY_DEF: JsonSchema = {
  description: 'A key any request may carry (verb, legacy metadata, routing, auth, the data/payload wrappers; contracts/writeActions.ts ENVELOPE_FIELDS); named in closed request schemas so that it is allowed.',
};

/** The fields a write action takes beyond its schema's keys, or undefined for an action that is not closed. */
function closedWrite(agent: string, action: string): readonly string[] | undefined {
  const spec = WRITE_ACTIONS[agent]?.[action];
  return spec && !spec.open ? (spec.fields ?? []) : undefined;
}

/**
 * The request of one action as a client sends it: `action` plus the fields at the top level.
 * (The suites also take the verb as `command`, `request_type` or `type`, and fields nested in a
 * `data` or `payload` object; the canonical form is what new clients should send.) An action that
 * changes state refuses a field it does not take (UNKNOWN_FIELD, issue 18's write audit), so its
 * schema is closed: `additionalProperties: false`, with the envelope keys and the extra fields it
 * takes (contracts/writeActions.ts) named.
 */
export function requestSchema(agent: string, action: string, def: ActionDefinition): JsonSchema {
  const params = def.params ? toContractSchema(def.params) : { type: 'object' };
  const envelope: JsonSchema = {
    action: { const: action },
    target_agent: { const: agent, description: 'addresses this agent; needed only for an action several agents share' },
    request_id: { type: ['string', 'number'], description: 'echoed in the reply; a resend with the same id and body within a minute gets the first reply again' },
  };
  const { properties, required, additionalProperties: _ignoredKeysAreAllowed, type: _object, description: _d, ...rest } = params;
  const fields = { ...envelope, ...((properties as JsonSchema | undefined) ?? {}) } as Record<string, JsonSchema>;
  const extra = closedWrite(agent, action);
  if (extra && properties) {
    // Extra fields are the flat form of a nested object (ModelEvaluationFramework): typed by the
    // alternative that names them.
    const alternatives = ((rest.anyOf as JsonSchema[] | undefined) ?? []).map((a) => (a.properties ?? {}) as Record<string, JsonSchema>);
    for (const f of extra) fields[f] ??= alternatives.find((a) => a[f])?.[f] ?? {};
    for (const k of ENVELOPE_FIELDS) fields[k] ??= ENVELOPE_KEY;
  }
  return {
    ...(def.description ? { description: def.description } : {}),
    type: 'object',
    properties: fields,
    required: ['action', ...((required as string[] | undefined) ?? [])],
    ...rest,
    ...(extra && properties ? { additionalProperties: false } : {}),
  };
}

function replySchema(def: ActionDefinition): JsonSchema | undefined {
  if (!def.reply) return undefined;
  return { anyOf: [toContractSchema(def.reply, 'output'), { $ref: '#/$defs/ErrorReply' }] };
}

/** One JSON Schema document per agent (legacy agent or new API namespace), one definition per action. */
export function agentDocument(suite: CollectedSuite, agent: CollectedAgent): JsonSchema {
  const d = suite.descriptor;
  const isApi = agent.name === d.name || agent.legacyPort === null;
  const defs: JsonSchema = { ErrorReply: ERROR_REPLY, EnvelopeKey: ENVELOPE_KEY_DEF };
  for (const { name, def } of agent.actions) {
    defs[requestDefName(name)] = requestSchema(agent.name, name, def);
    const reply = replySchema(def);
    if (reply) defs[replyDefName(name)] = reply;
  }
  return {
    $schema: SCHEMA_DIALECT,
    $id: `urn:agent-suites:contracts:${d.slug}:${agent.name}`,
    title: `${agent.name} (${d.name})`,
    description:
      `${isApi ? 'New API' : `Legacy agent ${agent.name}${agent.legacyPort ? ` (its own port was ${agent.legacyPort})` : ''}`}, served on ${d.name}'s ` +
      `ZeroMQ socket (port ${d.port} + PORT_OFFSET; REQ, or DEALER with an empty delimiter frame; one JSON or msgpack frame per request). ` +
      `Each action has "<action>.request" and, where the reply shape is fixed, "<action>.reply". Requests: "action" plus fields at the top level; ` +
      'the suites also take the verb as "command", "request_type" or "type", and fields nested in "data" or "payload". ' +
      'Unknown fields are ignored, except by actions that change state: they refuse a field they do not take (code UNKNOWN_FIELD) and their request schema is closed. ' +
      'Generated by `npm run contracts`.',
    $defs: defs,
  };
}

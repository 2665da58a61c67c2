import type { z } from 'zod';
import type { AgentRouter } from './AgentRouter.js';
import { toContractSchema, type JsonSchema } from './contractSchema.js';
import { baseType } from './jsonTypeText.js';

/**
 * Field name → JSON type of an action's request ("string", "number?", ...; `?` = optional), from
 * the same JSON Schema contracts/schema publishes.
 */
export function describeFields(schema: z.ZodType | undefined): Record<string, string> {
  if (!schema) return {};
  const json = toContractSchema(schema);
  const required = new Set(Array.isArray(json.required) ? (json.required as string[]) : []);
  const out: Record<string, string> = {};
  for (const [name, field] of Object.entries((json.properties ?? {}) as Record<string, JsonSchema>)) {
    const type = baseType(field);
    out[name] = (type === 'integer' ? 'number' : type) + (required.has(name) ? '' : '?');
  }
  return out;
}

/**
 * The `suite.describe` reply: every agent, its legacy port, its actions with their request fields,
 * and the collision rules. Lets a client (or the fuzzer, or the contract reference generator) see
 * what a running suite serves.
 */
export function describeSuite(suite: string, router: AgentRouter): Record<string, unknown> {
  const agents = router.listAgents().map((agent) => ({
    name: agent.name,
    legacy_port: agent.legacyPort ?? null,
    actions: router
      .definitions()
      .filter((d) => d.agent === agent)
      .map((d) => ({ name: d.action, description: d.def.description ?? null, validated: d.def.params !== undefined, fields: describeFields(d.def.params) })),
  }));
  return {
    status: 'success',
    suite,
    agents,
    collisions: router.actionTable().filter((a) => a.agents.length > 1),
  };
}

import { z } from 'zod';
import type { AgentRouter } from './AgentRouter.js';

/** Field name → type name of an object schema ("string", "number?", ...), unwrapping optional/default. */
export function describeFields(schema: z.ZodType | undefined): Record<string, string> {
  if (!schema || !(schema instanceof z.ZodObject)) return {};
  const out: Record<string, string> = {};
  for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    let t: z.ZodType = field;
    let optional = false;
    for (let i = 0; i < 5; i++) {
      const def = (t as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
      if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) {
        optional ||= def.type !== 'nullable';
        t = def.innerType;
        continue;
      }
      break;
    }
    out[name] = (t as unknown as { _zod: { def: { type: string } } })._zod.def.type + (optional ? '?' : '');
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

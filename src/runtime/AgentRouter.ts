import type { ActionDefinition, Agent, CollisionRule } from './Agent.js';
import { SuiteError } from './errors.js';
import { toSnakeCase, type NormalizedRequest } from './normalizeRequest.js';

export interface RoutedAction {
  readonly agent: Agent;
  /** The registered action name (may differ in case from what the client sent). */
  readonly action: string;
  readonly def: ActionDefinition;
}

/** Verbs the runtime answers with the health object when no agent claims them (§1.3). */
export const HEALTH_VERBS = new Set(['health', 'health_check', 'ping']);

/**
 * Holds a suite's agents and resolves each request to one (agent, action), in the order the
 * design gives: `target_agent`, an action only one agent has, the collision rule's field test,
 * the collision rule's documented fallback. Built once at start; lookups are map reads.
 */
export class AgentRouter {
  private readonly agents = new Map<string, Agent>();
  private readonly agentsLower = new Map<string, Agent>();
  private readonly actionsByAgent = new Map<string, Map<string, ActionDefinition>>();
  /** action name → agent names that define it, in registration order. */
  private readonly owners = new Map<string, string[]>();
  private readonly rules = new Map<string, CollisionRule>();

  register(agent: Agent): void {
    if (this.agents.has(agent.name)) throw new Error(`agent ${agent.name} registered twice`);
    const actions = new Map(Object.entries(agent.actions()));
    this.agents.set(agent.name, agent);
    this.agentsLower.set(agent.name.toLowerCase(), agent);
    this.actionsByAgent.set(agent.name, actions);
    for (const name of actions.keys()) {
      const list = this.owners.get(name) ?? [];
      list.push(agent.name);
      this.owners.set(name, list);
    }
  }

  addCollisionRules(rules: CollisionRule[]): void {
    for (const r of rules) this.rules.set(r.action, r);
  }

  /** Checks that every rule names real agents and every shared action has a rule. */
  verify(): string[] {
    const problems: string[] = [];
    for (const r of this.rules.values()) {
      if (!this.agents.has(r.fallback)) problems.push(`collision rule for ${r.action}: unknown fallback agent ${r.fallback}`);
    }
    for (const [action, owners] of this.owners) {
      if (owners.length > 1 && !this.rules.has(action)) {
        problems.push(`action ${action} is shared by ${owners.join(', ')} but has no collision rule (first registered wins)`);
      }
    }
    return problems;
  }

  listAgents(): Agent[] {
    return [...this.agents.values()];
  }

  getAgent(name: string): Agent | undefined {
    return this.agents.get(name) ?? this.agentsLower.get(name.toLowerCase());
  }

  actionsOf(agentName: string): string[] {
    return [...(this.actionsByAgent.get(agentName)?.keys() ?? [])];
  }

  /** Every registered (agent, action, definition), for the reference generator and the fuzzer. */
  definitions(): RoutedAction[] {
    const out: RoutedAction[] = [];
    for (const [agentName, actions] of this.actionsByAgent) {
      for (const [action, def] of actions) out.push({ agent: this.agents.get(agentName)!, action, def });
    }
    return out;
  }

  /** Every (action → owners) pair, for the generated reference and contract checks. */
  actionTable(): Array<{ action: string; agents: string[]; rule?: string }> {
    return [...this.owners.entries()].map(([action, agents]) => ({ action, agents, rule: this.rules.get(action)?.rule }));
  }

  /** The verb as sent, then its snake_case and lower-case forms (for `command: "GET_STATUS"`). */
  private static spellings(verb: string): string[] {
    return [toSnakeCase(verb), verb.toLowerCase()];
  }

  private lookup(agentName: string, verb: string): RoutedAction | undefined {
    const actions = this.actionsByAgent.get(agentName);
    if (!actions) return undefined;
    const exact = actions.get(verb);
    if (exact) return { agent: this.agents.get(agentName)!, action: verb, def: exact };
    for (const name of AgentRouter.spellings(verb)) {
      const def = actions.get(name);
      if (def) return { agent: this.agents.get(agentName)!, action: name, def };
    }
    return undefined;
  }

  private ownersOf(verb: string): { name: string; owners: string[] } | undefined {
    const exact = this.owners.get(verb);
    if (exact) return { name: verb, owners: exact };
    for (const name of AgentRouter.spellings(verb)) {
      const owners = this.owners.get(name);
      if (owners) return { name, owners };
    }
    return undefined;
  }

  /**
   * Resolves a request's verb (the discriminator's value, or what Suite.inferAction named). `fixedAgent` is set for legacy-port listeners: all traffic goes to it.
   * Returns undefined when no agent has the verb (the caller then answers health verbs or
   * "Unknown action"). Throws SuiteError for a bad `target_agent`.
   */
  resolve(req: NormalizedRequest, verb: string, fixedAgent?: string): RoutedAction | undefined {
    const agentName = fixedAgent ?? req.targetAgent;
    if (agentName) {
      const agent = this.getAgent(agentName);
      if (!agent) {
        throw new SuiteError('UNKNOWN_AGENT', { agent: agentName, agents: [...this.agents.keys()].join(', ') });
      }
      return this.lookup(agent.name, verb);
    }
    const found = this.ownersOf(verb);
    if (!found) return undefined;
    if (found.owners.length === 1) return this.lookup(found.owners[0]!, found.name);
    const rule = this.rules.get(found.name);
    const picked = rule?.pick?.(req.params);
    const chosen = picked && found.owners.includes(picked) ? picked : (rule?.fallback ?? found.owners[0]!);
    return this.lookup(chosen, found.name);
  }
}


import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionDefinition } from '../../src/runtime/Agent.js';
import { SuiteHost } from '../../src/runtime/SuiteHost.js';
import { createLogger } from '../../src/runtime/logger.js';
import { SUITES, type SuiteDescriptor } from '../../src/suites/registry.js';

/** The three suites whose contracts are published (the registry may also hold test suites). */
export const PUBLISHED_SUITES = ['MemoryHub', 'ModelManagerSuite', 'AdaptiveLearningSuite'] as const;

export interface CollectedAgent {
  name: string;
  legacyPort: number | null;
  actions: Array<{ name: string; def: ActionDefinition }>;
}

export interface CollectedSuite {
  descriptor: SuiteDescriptor;
  agents: CollectedAgent[];
  collisions: Array<{ action: string; agents: string[]; rule?: string }>;
}

/**
 * Starts each suite in this process (loopback, a temp data folder, no Redis) just long enough to
 * read what it registers: agents, actions with their definitions, collision rules. The contracts
 * are generated from these, so they are the schemas the suites validate with.
 */
export async function collectSuites(): Promise<CollectedSuite[]> {
  process.env.LOG_LEVEL ??= 'error';
  const out: CollectedSuite[] = [];
  let port = 20_000 + Math.floor(Math.random() * 10_000); // below the ephemeral range (32768+)
  for (const name of PUBLISHED_SUITES) {
    const desc = SUITES[name]!;
    const dir = mkdtempSync(join(tmpdir(), 'as-contracts-'));
    const host = new SuiteHost({
      name: desc.name, slug: desc.slug, factory: await desc.load(), port: port++, healthPort: port++, bindAddress: '127.0.0.1',
      dataRoot: dir, config: { gpu: false }, log: createLogger(desc.name),
    });
    try {
      await host.start();
      const defs = host.router.definitions();
      out.push({
        descriptor: desc,
        agents: host.router.listAgents().map((agent) => ({
          name: agent.name,
          legacyPort: agent.legacyPort ?? null,
          actions: defs
            .filter((d) => d.agent === agent)
            .map((d) => ({ name: d.action, def: d.def }))
            .sort((p, q) => p.name.localeCompare(q.name)),
        })),
        collisions: host.router.actionTable().filter((a) => a.agents.length > 1),
      });
    } finally {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

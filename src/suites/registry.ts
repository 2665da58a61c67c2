import type { SuiteFactory } from '../runtime/Suite.js';

export interface SuiteDescriptor {
  /** Suite name as written in startup YAML and `target` of `call`. */
  readonly name: string;
  /** Folder under src/suites/ and migrations/, and the sub-folder of DATA_DIR. */
  readonly slug: string;
  /** Default ports before PORT_OFFSET (ARCHITECTURE.md port table). */
  readonly port: number;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly machine: 'MainPC' | 'PC2';
  /** Loads the suite module lazily so a process only pays for the suite it runs. */
  readonly load: () => Promise<SuiteFactory>;
}

// Literal import() paths: the build (scripts/build.mjs) bundles each suite as its own lazily loaded chunk.
async function loadFactory(modulePath: string, loading: Promise<unknown>): Promise<SuiteFactory> {
  const mod = (await loading) as { createSuite?: SuiteFactory };
  if (typeof mod.createSuite !== 'function') throw new Error(`${modulePath} does not export createSuite()`);
  return mod.createSuite;
}

export const SUITES: Record<string, SuiteDescriptor> = {
  MemoryHub: {
    name: 'MemoryHub', slug: 'memory-hub', port: 7010, healthPort: 7110, metricsPort: 9010, machine: 'PC2',
    load: () => loadFactory('./memory-hub/MemoryHubSuite', import('./memory-hub/MemoryHubSuite.js')),
  },
  ModelManagerSuite: {
    name: 'ModelManagerSuite', slug: 'model-manager', port: 7011, healthPort: 7111, metricsPort: 9011, machine: 'MainPC',
    load: () => loadFactory('./model-manager/ModelManagerSuite', import('./model-manager/ModelManagerSuite.js')),
  },
  AdaptiveLearningSuite: {
    name: 'AdaptiveLearningSuite', slug: 'adaptive-learning', port: 7012, healthPort: 7112, metricsPort: 9012, machine: 'MainPC',
    load: () => loadFactory('./adaptive-learning/AdaptiveLearningSuite', import('./adaptive-learning/AdaptiveLearningSuite.js')),
  },
};

/** Registers an extra suite (tests use this for the example suite in tests/fixtures/). */
export function registerSuite(desc: SuiteDescriptor): void {
  SUITES[desc.name] = desc;
}

export function findSuite(name: string): SuiteDescriptor | undefined {
  if (SUITES[name]) return SUITES[name];
  const lower = name.toLowerCase().replace(/[-_ ]/g, '');
  return Object.values(SUITES).find(
    (s) => s.name.toLowerCase() === lower || s.slug.replace(/-/g, '') === lower || s.name.toLowerCase().replace(/suite$/, '') === lower,
  );
}

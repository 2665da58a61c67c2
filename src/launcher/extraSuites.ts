import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerSuite, type SuiteDescriptor } from '../suites/registry.js';

/**
 * Imports the modules named in AGENT_SUITES_EXTRA_SUITES (comma-separated paths) and registers the
 * suite descriptors they export (`descriptor` or `descriptors`). Tests use it to run fixture suites
 * under the real launcher; both the launcher and `serve` call it before reading a config.
 */
export async function loadExtraSuites(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const raw = env.AGENT_SUITES_EXTRA_SUITES;
  if (!raw) return [];
  const names: string[] = [];
  for (const p of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const mod = (await import(pathToFileURL(path.resolve(p)).href)) as {
      descriptor?: SuiteDescriptor;
      descriptors?: SuiteDescriptor[];
    };
    const list = [...(mod.descriptors ?? []), ...(mod.descriptor ? [mod.descriptor] : [])];
    if (!list.length) throw new Error(`${p} (AGENT_SUITES_EXTRA_SUITES) exports no suite descriptor`);
    for (const d of list) {
      registerSuite(d);
      names.push(d.name);
    }
  }
  return names;
}

import { collectSuites } from './collectSuites.js';
import { renderReference } from './renderReference.js';
import { agentDocument, schemaPath } from './schemaDocuments.js';

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

/** Every file `npm run contracts` writes: REFERENCE.md and one JSON Schema document per agent. */
export async function buildContracts(): Promise<GeneratedFile[]> {
  const suites = await collectSuites();
  const files: GeneratedFile[] = [{ path: 'contracts/REFERENCE.md', content: renderReference(suites) }];
  for (const suite of suites) {
    for (const agent of suite.agents) {
      files.push({ path: schemaPath(suite, agent), content: `${JSON.stringify(agentDocument(suite, agent), null, 2)}\n` });
    }
  }
  return files;
}

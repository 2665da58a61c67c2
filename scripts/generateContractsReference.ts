// Writes the published contracts from the running suites themselves: contracts/REFERENCE.md and
// contracts/schema/<suite>/<Agent>.schema.json (JSON Schema 2020-12, one definition per action).
// Run after changing an agent or a schema in contracts/: `npm run contracts`.
// tests/contracts/jsonSchema.test.ts fails while the committed files differ from what this writes.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildContracts } from './contracts/buildContracts.js';

const root = new URL('..', import.meta.url).pathname;
const files = await buildContracts();
// Documents of agents that no longer exist must not linger.
rmSync(join(root, 'contracts/schema'), { recursive: true, force: true });
for (const f of files) {
  mkdirSync(dirname(join(root, f.path)), { recursive: true });
  writeFileSync(join(root, f.path), f.content);
}
const schemas = files.filter((f) => f.path.startsWith('contracts/schema/')).length;
console.log(`wrote contracts/REFERENCE.md and ${schemas} JSON Schema documents under contracts/schema/`);
process.exit(0);

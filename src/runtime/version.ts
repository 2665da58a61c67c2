import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './sourceLayout.js';

/** Version from package.json, read once. */
export const PACKAGE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

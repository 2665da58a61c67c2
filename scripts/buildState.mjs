// Whether dist/ holds a build of the current TypeScript sources (bin/agent-suites.js runs the build
// only then; scripts/build.mjs writes it). The stamp records how many source files there were and
// the newest modification time among them: an edit, a checkout, an added or a removed file makes
// the build stale, and a stale build is never run.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Folders whose TypeScript the bundle is built from (their edits make it stale). */
export const SOURCE_DIRS = ['src', 'agents', 'contracts'];
export const DIST = 'dist';
/** Written last by a build, in its output folder; the running bundle also finds its own root by it. */
export const STAMP_FILE = 'BUILD.json';

/** Every .ts file under the source folders (paths relative to root) and the newest mtime among them. */
export function scanSources(root) {
  const files = [];
  let newestMs = 0;
  const walk = (rel) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        files.push(p);
        newestMs = Math.max(newestMs, statSync(join(root, p)).mtimeMs);
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  return { files, newestMs };
}

/** Writes the stamp for `sources` (from scanSources, taken before the build read them) into `outdir`. */
export function writeStamp(outdir, sources) {
  writeFileSync(join(outdir, STAMP_FILE), JSON.stringify({ files: sources.files.length, newestMs: sources.newestMs, builtAt: new Date().toISOString() }) + '\n');
}

/** True when dist/BUILD.json matches the sources as they are now. */
export function buildIsCurrent(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, DIST, STAMP_FILE), 'utf8'));
  } catch {
    return false;
  }
  const now = scanSources(root);
  return stamp.files === now.files.length && stamp.newestMs === now.newestMs;
}

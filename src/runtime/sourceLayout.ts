import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The code runs in one of two layouts: the TypeScript sources through tsx (tests, development), or
 * the bundle that `npm run build` writes to dist/ (what `agent-suites` runs when that build is
 * current; see bin/agent-suites.js and scripts/build.mjs). In the bundle a module's code may sit in
 * a shared chunk, so its import.meta.url says nothing about where its source was: code that starts
 * a worker or a child process on one of our modules, or reads the repository's data files, asks
 * this module instead of building paths from import.meta.url.
 */
export const RUNNING_FROM_SOURCES = import.meta.url.endsWith('.ts');

/** The nearest folder above this module that holds `marker`. */
function folderAbove(marker: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, marker))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no ${marker} above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** The repository root (package.json, migrations/, startup_config/). */
export const REPO_ROOT = folderAbove('package.json');

/** Where the running bundle's entry modules are (dist/, or the folder a test built into): the folder of its BUILD.json. */
const BUILD_ROOT = RUNNING_FROM_SOURCES ? null : folderAbove('BUILD.json');

/**
 * URL of an entry module (a worker's or a child process's) by its source path from the repository
 * root without extension, e.g. 'src/suites/adaptive-learning/trainers/runBuiltinLora'. The build
 * must list it among its entry points (ENTRIES in scripts/build.mjs).
 */
export function entryModuleUrl(sourcePath: string): URL {
  return pathToFileURL(BUILD_ROOT === null ? join(REPO_ROOT, `${sourcePath}.ts`) : join(BUILD_ROOT, `${sourcePath}.js`));
}

/**
 * Starts a worker thread on `entry` (from entryModuleUrl). From the sources, tsx is registered inside
 * the worker first: Node 20 workers do not inherit `--import tsx` for their entry file.
 */
export function startModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!RUNNING_FROM_SOURCES) return new Worker(entry, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/** Node arguments that run the module at `entry` in a child process (with tsx's loader from the sources). */
export function nodeArgsFor(entry: URL): string[] {
  const file = fileURLToPath(entry);
  return RUNNING_FROM_SOURCES ? ['--import', 'tsx', file] : [file];
}

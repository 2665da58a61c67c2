import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A client-supplied path that leads outside every allowed folder (or is not a usable path at all). */
export class PathNotAllowedError extends Error {
  readonly code = 'PATH_NOT_ALLOWED';
  constructor(
    readonly what: string,
    readonly given: string,
    readonly roots: readonly string[],
  ) {
    super(`${what} "${given}" is outside the allowed folders (${roots.length ? roots.join(', ') : 'none configured'})`);
    this.name = 'PathNotAllowedError';
  }
}

export interface ConfineOptions {
  /** Names the value in the error, e.g. "data_path". Default "path". */
  what?: string;
  /** Folder a relative path is taken from. Default: the first root. */
  base?: string;
}

/**
 * Resolves a path a client sent and checks that it lies inside one of `roots`, following symlinks
 * (realpath of the longest existing prefix), so neither `../` nor a link inside a root can lead
 * out. The file itself need not exist (outputs). Returns the resolved real path; throws
 * PathNotAllowedError naming the allowed roots otherwise. Roots are trusted (operator config).
 */
export function confinePath(given: unknown, roots: readonly string[], opts: ConfineOptions = {}): string {
  const what = opts.what ?? 'path';
  const realRoots = [...new Set(roots.filter(Boolean).map((r) => realOrResolved(resolve(r)) ?? resolve(r)))];
  if (typeof given !== 'string' || given === '' || given.includes('\0')) throw new PathNotAllowedError(what, String(given), realRoots);
  const base = opts.base ?? roots[0];
  if (!isAbsolute(given) && !base) throw new PathNotAllowedError(what, given, realRoots);
  const abs = isAbsolute(given) ? resolve(given) : resolve(base!, given);
  const real = realOrResolved(abs);
  if (real === undefined || !realRoots.some((root) => isInside(real, root))) throw new PathNotAllowedError(what, given, realRoots);
  return real;
}

/** Whether `path` is `root` or below it (both absolute, already resolved). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * realpath of the longest existing prefix of `abs`, with the missing tail appended; undefined for
 * a dangling symlink on the way (writing through it could create a file anywhere).
 */
function realOrResolved(abs: string): string | undefined {
  const tail: string[] = [];
  let cur = abs;
  for (;;) {
    if (lstatSync(cur, { throwIfNoEntry: false })) {
      try {
        return tail.length ? join(realpathSync(cur), ...tail.reverse()) : realpathSync(cur);
      } catch {
        return undefined;
      }
    }
    const parent = dirname(cur);
    if (parent === cur) return abs;
    tail.push(basename(cur));
    cur = parent;
  }
}

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A database file that is not SQLite, cut short, or fails SQLite's own check. The suite refuses to
 * start rather than open (and later overwrite) it; the message names the file and how to restore.
 */
export class CorruptDatabaseError extends Error {
  readonly code = 'CORRUPT_DATABASE';
  constructor(readonly file: string, why: string) {
    super(`Database ${file} is damaged (${why}); refusing to start, and the file was left as it is. `
      + 'Restore it from a backup: `agent-suites migrate rollback --list` shows the backups taken before legacy imports and '
      + '`agent-suites migrate rollback --to <TIMESTAMP>` restores one; or copy back your own backup of '
      + `${dirname(file)}. To start empty instead, move the file (and its -wal/-shm files) away.`);
    this.name = 'CorruptDatabaseError';
  }
}

const MAGIC = 'SQLite format 3\0';

/**
 * Checks the file header before SQLite sees the file (SQLite file format §1.3): the magic string,
 * and that the file is at least as long as the page count the header records (valid when the
 * "version-valid-for" number equals the change counter). A missing or empty file is a new
 * database and passes. Throws CorruptDatabaseError.
 */
export function checkDatabaseHeader(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size === 0) return;
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let got: number;
  try {
    got = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (got < 100 || header.toString('latin1', 0, 16) !== MAGIC) {
    throw new CorruptDatabaseError(file, got < 100 ? `only ${size} bytes, shorter than a SQLite header` : 'not a SQLite database: the header is wrong');
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  const valid = header.readUInt32BE(24) === header.readUInt32BE(92);
  if (valid && pages > 0 && pages * pageSize > size) {
    throw new CorruptDatabaseError(file, `truncated: the header records ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes) but the file has ${size}`);
  }
}

/** SQLite result codes that mean the file itself is damaged. */
export function isCorruptionCode(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT_INDEX' || code === 'SQLITE_CORRUPT_SEQUENCE';
}

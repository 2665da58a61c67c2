import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dbChecksum, type DbChecksum } from './dbChecksum.js';
import { TARGET_SLUGS, TARGETS, targetFile, type TargetSlug } from './targets.js';

export interface BackupEntry {
  slug: TargetSlug;
  /** Path relative to the data folder. */
  file: string;
  /** false: the database did not exist before the import (rollback removes it). */
  existed: boolean;
  /** Copy inside the backup folder, its file hash and its row-for-row checksum. */
  copy?: string;
  fileSha256?: string;
  checksum?: DbChecksum;
}

export interface BackupManifest {
  version: 1;
  timestamp: string;
  runId: string;
  createdAt: string;
  entries: BackupEntry[];
}

export const backupsRoot = (dataDir: string): string => join(dataDir, 'backups');

const fileSha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A folder name that sorts by time and is safe on every filesystem. */
export function backupTimestamp(d = new Date()): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

/**
 * Copies every target database with SQLite's online backup API (consistent even if a suite has it
 * open) into `<data>/backups/<timestamp>/`, then writes manifest.json last (via a rename), so a
 * backup without a manifest is an interrupted one and is never used by rollback.
 */
export async function backupTargets(dataDir: string, runId: string): Promise<{ dir: string; manifest: BackupManifest }> {
  let ts = backupTimestamp();
  while (existsSync(join(backupsRoot(dataDir), ts))) ts = `${ts}-1`;
  const dir = join(backupsRoot(dataDir), ts);
  mkdirSync(dir, { recursive: true });
  const entries: BackupEntry[] = [];
  for (const slug of TARGET_SLUGS) {
    const file = targetFile(dataDir, slug);
    const rel = join(slug, TARGETS[slug]);
    if (!existsSync(file)) {
      entries.push({ slug, file: rel, existed: false });
      continue;
    }
    const copy = join(dir, slug, TARGETS[slug]);
    mkdirSync(dirname(copy), { recursive: true });
    const db = new Database(file, { fileMustExist: true });
    try {
      await db.backup(copy);
    } finally {
      db.close();
    }
    fsyncFile(copy);
    entries.push({ slug, file: rel, existed: true, copy: join(slug, TARGETS[slug]), fileSha256: fileSha(copy), checksum: dbChecksum(copy)! });
  }
  const manifest: BackupManifest = { version: 1, timestamp: ts, runId, createdAt: new Date().toISOString(), entries };
  writeFileSync(join(dir, 'manifest.json.tmp'), JSON.stringify(manifest, null, 2));
  fsyncFile(join(dir, 'manifest.json.tmp'));
  renameSync(join(dir, 'manifest.json.tmp'), join(dir, 'manifest.json'));
  return { dir, manifest };
}

/** Complete backups (those with a manifest), oldest first. */
export function listBackups(dataDir: string): BackupManifest[] {
  const root = backupsRoot(dataDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .filter((d) => existsSync(join(root, d, 'manifest.json')))
    .map((d) => JSON.parse(readFileSync(join(root, d, 'manifest.json'), 'utf8')) as BackupManifest);
}

export interface RollbackResult {
  timestamp: string;
  restored: Array<{ file: string; action: 'restored' | 'removed' | 'absent'; checksumOk: boolean }>;
}

export class RollbackError extends Error {
  override readonly name = 'RollbackError';
}

/**
 * Puts every target database back as it was when the backup was taken: the copy replaces the file
 * (its -wal/-shm removed first), a database that did not exist then is removed. Each restored file
 * is checked row for row against the manifest. The suites must not be running.
 */
export function rollback(dataDir: string, to?: string): RollbackResult {
  const backups = listBackups(dataDir);
  if (backups.length === 0) throw new RollbackError(`no complete backup under ${backupsRoot(dataDir)}`);
  const manifest = to ? backups.find((b) => b.timestamp === to || b.runId === to) : backups[backups.length - 1];
  if (!manifest) throw new RollbackError(`no backup ${to}; available: ${backups.map((b) => b.timestamp).join(', ')}`);
  const dir = join(backupsRoot(dataDir), manifest.timestamp);
  // Check every copy before touching anything, so a damaged backup leaves the data as it is.
  for (const e of manifest.entries) {
    if (!e.existed) continue;
    const copy = join(dir, e.copy!);
    if (!existsSync(copy) || fileSha(copy) !== e.fileSha256) throw new RollbackError(`backup copy ${copy} is missing or damaged`);
  }
  const result: RollbackResult = { timestamp: manifest.timestamp, restored: [] };
  for (const e of manifest.entries) {
    const target = join(dataDir, e.file);
    if (!e.existed) {
      const had = existsSync(target);
      for (const f of [target, `${target}-wal`, `${target}-shm`]) rmSync(f, { force: true });
      result.restored.push({ file: e.file, action: had ? 'removed' : 'absent', checksumOk: !existsSync(target) });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.rollback-tmp`;
    copyFileSync(join(dir, e.copy!), tmp);
    fsyncFile(tmp);
    rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
    renameSync(tmp, target);
    const now = dbChecksum(target);
    result.restored.push({ file: e.file, action: 'restored', checksumOk: now?.sha256 === e.checksum?.sha256 });
  }
  return result;
}

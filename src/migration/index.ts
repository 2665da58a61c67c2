/** Legacy data migration: import, verify, roll back (issue 8). */
export { importLegacy, resolveDataDir, type ImportOptions } from './importer.js';
export { verifyLegacy, type VerifyOptions, type VerifyReport, type UnitVerdict } from './verify.js';
export { rollback, listBackups, backupTargets, RollbackError, type BackupManifest, type RollbackResult } from './backup.js';
export { dbChecksum, type DbChecksum } from './dbChecksum.js';
export { TARGETS, targetFile, type TargetSlug } from './targets.js';
export type { ImportSummary, Progress, UnitResult } from './types.js';

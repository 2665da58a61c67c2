import cliProgress from 'cli-progress';
import type { Argv, CommandModule } from 'yargs';
import { importLegacy, listBackups, rollback, verifyLegacy, type ImportSummary, type Progress, type VerifyReport } from '../../migration/index.js';
import { runtimeEnv } from '../runtimeEnv.js';

interface CommonArgs {
  'data-dir'?: string;
  json?: boolean;
}
interface SourceArgs extends CommonArgs {
  from: string;
  redis?: string;
  'redis-prefix'?: string;
}
interface LegacyArgs extends SourceArgs {
  'dry-run'?: boolean;
  progress: boolean;
}
interface VerifyArgs extends SourceArgs {
  endpoint?: string;
  sample: number;
}
interface RollbackArgs extends CommonArgs {
  to?: string;
  list?: boolean;
}

const dataDirOf = (a: CommonArgs): string => a['data-dir'] ?? runtimeEnv().dataRoot;
const out = (s: string): void => void process.stdout.write(`${s}\n`);
const err = (s: string): void => void process.stderr.write(`${s}\n`);

function sourceOptions<T>(y: Argv<T>) {
  return y
    .option('from', { type: 'string', demandOption: true, describe: 'Legacy checkout (or any folder) searched for legacy stores' })
    .option('data-dir', { type: 'string', describe: 'Data folder of the suites (default DATA_DIR or ./data)' })
    .option('redis', { type: 'string', describe: 'Legacy Redis to read mem:*, memory:*, <type>:* keys from, e.g. redis://127.0.0.1:6379/0' })
    .option('redis-prefix', { type: 'string', describe: 'Only Redis keys under this prefix (stripped from the names)' })
    .option('json', { type: 'boolean', describe: 'Print the result as JSON' });
}

/** Progress: a bar on a terminal, a line per second otherwise (logs, child processes). */
function progressReporter(enabled: boolean): { update(p: Progress): void; stop(): void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'migrate |{bar}| {value}/{total} rows | {label} | imported {imported}, rejected {rejected}', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        if (!started) {
          bar.start(p.total, 0, { label: p.label, imported: 0, rejected: 0 });
          started = true;
        }
        bar.update(p.done, { label: p.label, imported: p.imported, rejected: p.rejected });
      },
      stop: () => {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 1000 && p.done < p.total) return;
      last = now;
      err(`progress ${p.done}/${p.total} rows (unit ${p.unitIndex + 1}/${p.unitCount} ${p.label}: imported ${p.imported}, rejected ${p.rejected})`);
    },
    stop: () => {},
  };
}

function printSummary(s: ImportSummary): void {
  if (s.units.length === 0) {
    out(`No legacy stores found (looked for the orchestrator, knowledge-base/session, UMRA, learning-agent and evaluation stores, and Redis when --redis is given).`);
    return;
  }
  out(`${s.dryRun ? 'Dry run (nothing written)' : 'Imported'} into ${s.dataDir} in ${s.seconds.toFixed(2)} s (${s.rowsPerSecond} rows/s)`);
  if (s.backupDir) out(`Backup: ${s.backupDir}`);
  out('');
  out(`${'source'.padEnd(48)} ${'table'.padEnd(40)} ${'rows'.padStart(7)} ${'new'.padStart(7)} ${'same'.padStart(7)} ${'dup'.padStart(5)} ${'rejected'.padStart(8)}`);
  for (const u of s.units) {
    out(`${`${u.sourceFile}`.slice(-48).padEnd(48)} ${`${u.label} → ${u.targetTable ?? '(none)'}`.slice(0, 40).padEnd(40)} ${String(u.source).padStart(7)} ${String(u.imported).padStart(7)} ${String(u.unchanged).padStart(7)} ${String(u.duplicates).padStart(5)} ${String(u.rejected).padStart(8)}`);
  }
  const t = s.totals;
  out('');
  out(`Total: ${t.source} legacy rows: ${t.imported} imported, ${t.unchanged} already imported, ${t.duplicates} duplicates of rows already present, ${t.rejected} rejected`);
  if (s.rejects.length) {
    out(`Rejected rows (kept with their raw values in the import_rejects table of each suite database):`);
    for (const r of s.rejects.slice(0, 100)) out(`  ${r.unit} [${r.key}]: ${r.reason}`);
    if (s.rejects.length > 100) out(`  … ${s.rejects.length - 100} more`);
  }
  if (s.skipped.length) {
    out(`Passed over (nothing imported from these):`);
    for (const f of s.skipped.slice(0, 100)) out(`  ${f.file}: ${f.reason}`);
    if (s.skipped.length > 100) out(`  … ${s.skipped.length - 100} more`);
  }
}

function printVerify(r: VerifyReport): void {
  for (const u of r.units) {
    const state = u.mismatchCount ? 'MISMATCH' : 'ok';
    out(`${state.padEnd(8)} ${u.label.padEnd(38)} ${u.sourceFile.slice(-44).padEnd(44)} rows ${u.source}, matched ${u.matched}, rejected ${u.rejected}, checksum ${u.sourceChecksum.slice(0, 12)}/${u.targetChecksum.slice(0, 12)}`);
    for (const m of u.mismatches) out(`    [${m.key}] ${m.problem}`);
    if (u.mismatchCount > u.mismatches.length) out(`    … ${u.mismatchCount - u.mismatches.length} more`);
  }
  if (r.sample) {
    out(`Sample read back through ${r.sample.endpoint}: ${r.sample.checked} checked, ${r.sample.mismatches.length} mismatches`);
    for (const m of r.sample.mismatches) out(`    [${m.key}] ${m.problem}`);
  }
  out(r.ok ? 'verify: every legacy row is imported unchanged or recorded as rejected' : 'verify: MISMATCH (rows listed above)');
}

const legacyCommand: CommandModule<object, LegacyArgs> = {
  command: 'legacy',
  describe: 'Import the legacy stores found under --from into the data folder (backup first; idempotent)',
  builder: (y) =>
    sourceOptions(y)
      .option('dry-run', { type: 'boolean', describe: 'Import into a scratch copy and report; the data folder is not changed' })
      .option('progress', { type: 'boolean', default: true, describe: 'Show progress (a bar on a terminal, lines otherwise)' })
      .example('$0 migrate legacy --from ~/AI_System_Monorepo --data-dir ./data', 'import a legacy checkout')
      .example('$0 migrate legacy --from ~/AI_System_Monorepo --redis redis://127.0.0.1:6379/0 --dry-run', 'preview, Redis keys included') as Argv<LegacyArgs>,
  handler: async (a) => {
    const bar = progressReporter(a.progress && !a.json);
    try {
      const s = await importLegacy({ from: a.from, dataDir: dataDirOf(a), redisUrl: a.redis, redisKeyPrefix: a['redis-prefix'], dryRun: a['dry-run'], onProgress: (p) => bar.update(p) });
      bar.stop();
      if (a.json) out(JSON.stringify(s, null, 2));
      else printSummary(s);
    } finally {
      bar.stop();
    }
  },
};

const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify',
  describe: 'Compare every legacy row with what was imported (counts, checksums, rows named); exit 1 on a mismatch',
  builder: (y) =>
    sourceOptions(y)
      .option('endpoint', { type: 'string', describe: 'Running MemoryHub (tcp://host:port): read a sample back through get_memory / get_twin' })
      .option('sample', { type: 'number', default: 5, describe: 'How many memories to read back through --endpoint' })
      .example('$0 migrate verify --from ~/AI_System_Monorepo --endpoint tcp://127.0.0.1:7010', 'check the import and a live suite') as Argv<VerifyArgs>,
  handler: async (a) => {
    const r = await verifyLegacy({ from: a.from, dataDir: dataDirOf(a), redisUrl: a.redis, redisKeyPrefix: a['redis-prefix'], endpoint: a.endpoint, sampleSize: a.sample });
    if (a.json) out(JSON.stringify(r, null, 2));
    else printVerify(r);
    if (!r.ok) process.exitCode = 1;
  },
};

const rollbackCommand: CommandModule<object, RollbackArgs> = {
  command: 'rollback',
  describe: 'Restore the suite databases from the backup taken before an import (latest unless --to); stop the suites first',
  builder: (y) =>
    y
      .option('data-dir', { type: 'string', describe: 'Data folder of the suites (default DATA_DIR or ./data)' })
      .option('to', { type: 'string', describe: 'Backup timestamp (folder name under <data>/backups) or import run id' })
      .option('list', { type: 'boolean', describe: 'List the backups and exit' })
      .option('json', { type: 'boolean', describe: 'Print the result as JSON' }) as Argv<RollbackArgs>,
  handler: (a) => {
    const dataDir = dataDirOf(a);
    if (a.list) {
      const list = listBackups(dataDir);
      if (a.json) out(JSON.stringify(list, null, 2));
      else if (list.length === 0) out(`no backups under ${dataDir}/backups`);
      else for (const b of list) out(`${b.timestamp}  run ${b.runId}  ${b.entries.filter((e) => e.existed).map((e) => e.file).join(', ') || '(no databases existed)'}`);
      return;
    }
    const r = rollback(dataDir, a.to);
    if (a.json) out(JSON.stringify(r, null, 2));
    else {
      out(`Restored backup ${r.timestamp} into ${dataDir}:`);
      for (const f of r.restored) out(`  ${f.file}: ${f.action}${f.action === 'restored' ? (f.checksumOk ? ' (row checksums match the backup)' : ' (CHECKSUM MISMATCH)') : ''}`);
    }
    if (r.restored.some((f) => !f.checksumOk)) process.exitCode = 1;
  },
};

/** `agent-suites migrate <legacy|verify|rollback>`: legacy data migration (issue 8). */
export const migrateCommand: CommandModule = {
  command: 'migrate <command>',
  describe: 'Move legacy data into the suites: import (legacy), check (verify), undo (rollback)',
  builder: (y) =>
    y
      .command(legacyCommand as CommandModule)
      .command(verifyCommand as CommandModule)
      .command(rollbackCommand as CommandModule)
      .demandCommand(1, 'name a migrate command: legacy, verify or rollback'),
  handler: () => {},
};

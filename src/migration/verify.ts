import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { ZmqClient } from '../transport/ZmqClient.js';
import { discover } from './discover.js';
import { resolveDataDir } from './importer.js';
import { targetExists, targetFile, type TargetSlug } from './targets.js';
import { rowHash, TargetStatements, viewOf } from './unitEngine.js';
import { canonical } from './values.js';
import { RejectError, type MapContext, type SourceUnit } from './types.js';

export interface VerifyOptions {
  from: string;
  dataDir?: string;
  redisUrl?: string;
  redisKeyPrefix?: string;
  /** A running MemoryHub (tcp://host:port): a sample of imported memories and twins is read back through its legacy actions. */
  endpoint?: string;
  sampleSize?: number;
  /** Longest list of problem rows kept per unit. */
  maxListed?: number;
}

export interface UnitVerdict {
  unit: string;
  label: string;
  sourceFile: string;
  targetTable: string | null;
  source: number;
  matched: number;
  rejected: number;
  sourceChecksum: string;
  targetChecksum: string;
  mismatches: Array<{ key: string; problem: string }>;
  mismatchCount: number;
  rejects: Array<{ key: string; reason: string }>;
}

export interface VerifyReport {
  ok: boolean;
  dataDir: string;
  units: UnitVerdict[];
  sample: { endpoint: string; checked: number; mismatches: Array<{ key: string; problem: string }> } | null;
}

function openTarget(dataDir: string, slug: TargetSlug): TargetStatements | undefined {
  if (!targetExists(dataDir, slug)) return undefined;
  const db = new Database(targetFile(dataDir, slug), { fileMustExist: true });
  const has = db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('legacy_import_map', 'import_rejects')`).pluck().get() as number;
  if (has < 2) {
    db.close();
    return undefined;
  }
  return new TargetStatements(db);
}

/** Names the compared columns whose canonical values differ. */
function differingColumns(unit: SourceUnit, expected: Record<string, unknown>, actual: Record<string, unknown>): string[] {
  const m = unit.mapping;
  return m.compare.filter((c) => viewOf({ ...m, compare: [c] }, expected) !== viewOf({ ...m, compare: [c] }, actual));
}

/**
 * Re-reads every legacy store and checks the data folder against it, row by row: each source row
 * must either be in its target table with the same content (compared columns, JSON decoded) or be
 * recorded in import_rejects. Per unit it reports counts and a content checksum computed from the
 * source side and from the target side; they are equal exactly when every imported row matches.
 */
export async function verifyLegacy(opts: VerifyOptions): Promise<VerifyReport> {
  const dataDir = resolveDataDir(opts.dataDir);
  const maxListed = opts.maxListed ?? 50;
  const found = discover(opts.from, dataDir, opts.redisUrl ? { url: opts.redisUrl, keyPrefix: opts.redisKeyPrefix } : undefined);
  const targets = new Map<TargetSlug, TargetStatements | undefined>();
  const report: VerifyReport = { ok: true, dataDir, units: [], sample: null };
  const sampleMemories: Array<{ key: string; expected: Record<string, unknown> }> = [];
  const sampleTwins: Array<{ key: string; expected: Record<string, unknown> }> = [];
  let memoriesSeen = 0;
  try {
    for (const u of found.units) await u.prepare?.();
    const now = Date.now() / 1000;
    for (const unit of found.units) {
      if (!targets.has(unit.suite)) targets.set(unit.suite, openTarget(dataDir, unit.suite));
      const st = targets.get(unit.suite);
      const m = unit.mapping;
      const ctx: MapContext = {
        now, nowIso: new Date(now * 1000).toISOString(),
        lookup: (u, key) => (st?.mapGet.get(u, key) as { target_key: string } | undefined)?.target_key,
      };
      const v: UnitVerdict = {
        unit: unit.unit, label: unit.label, sourceFile: unit.sourceFile, targetTable: m.targetTable, source: 0, matched: 0, rejected: 0,
        sourceChecksum: '', targetChecksum: '', mismatches: [], mismatchCount: 0, rejects: [],
      };
      const srcH = createHash('sha256');
      const tgtH = createHash('sha256');
      const problem = (key: string, text: string): void => {
        v.mismatchCount++;
        if (v.mismatches.length < maxListed) v.mismatches.push({ key, problem: text });
      };
      for (const row of unit.rows()) {
        v.source++;
        const mapped = st?.mapGet.get(unit.unit, row.key) as { target_key: string; src_hash: string } | undefined;
        if (!mapped) {
          const reason = st?.rejectGet.get(unit.unit, row.key) as string | undefined;
          if (reason !== undefined) {
            v.rejected++;
            if (v.rejects.length < maxListed) v.rejects.push({ key: row.key, reason });
          } else {
            problem(row.key, st ? 'not in the target and not recorded as rejected' : `no imported data in ${unit.suite}`);
          }
          continue;
        }
        let expected: Record<string, unknown> | undefined;
        try {
          expected = m.toTarget(row, ctx);
        } catch (err) {
          if (!(err instanceof RejectError)) throw err;
          problem(row.key, `imported, but the source row no longer maps: ${err.message}`);
          continue;
        }
        const actual = st!.find(m, mapped.target_key);
        const ev = viewOf(m, expected);
        srcH.update(`${canonical(row.key)}:${ev}\n`);
        if (!actual) {
          problem(row.key, `imported row ${m.targetTable} ${mapped.target_key} is missing`);
          continue;
        }
        const av = viewOf(m, actual);
        tgtH.update(`${canonical(row.key)}:${av}\n`);
        if (mapped.src_hash !== rowHash(row)) problem(row.key, 'source row changed since it was imported');
        else if (av !== ev) problem(row.key, `content differs in ${differingColumns(unit, expected, actual).join(', ')}`);
        else {
          v.matched++;
          if (m.targetTable === 'memories') reservoir(sampleMemories, ++memoriesSeen, opts.sampleSize ?? 5, { key: String(expected.memory_id), expected });
          if (m.targetTable === 'umra_twins' && sampleTwins.length < (opts.sampleSize ?? 5)) sampleTwins.push({ key: String(expected.user_id), expected });
        }
      }
      v.sourceChecksum = srcH.digest('hex');
      v.targetChecksum = tgtH.digest('hex');
      if (v.mismatchCount > 0) report.ok = false;
      report.units.push(v);
    }
    if (opts.endpoint) {
      report.sample = await sampleThroughSuite(opts.endpoint, sampleMemories, sampleTwins);
      if (report.sample.mismatches.length > 0) report.ok = false;
    }
    return report;
  } finally {
    for (const st of targets.values()) st?.db.close();
    found.close();
  }
}

/** Keeps a uniform random sample of `size` items from a stream (the `seen`-th item is offered). */
function reservoir<T>(sample: T[], seen: number, size: number, item: T): void {
  if (sample.length < size) sample.push(item);
  else {
    const j = Math.floor(Math.random() * seen);
    if (j < size) sample[j] = item;
  }
}

const parseJson = (text: unknown): unknown => (typeof text === 'string' ? JSON.parse(text) : text);

/**
 * Reads imported rows back through the legacy actions of a running MemoryHub: get_memory (the
 * orchestrator's envelope) and UMRA's get_twin. Read statistics (access_count, last_accessed_at)
 * are not compared: get_memory itself counts the access.
 */
async function sampleThroughSuite(
  endpoint: string,
  memories: Array<{ key: string; expected: Record<string, unknown> }>,
  twins: Array<{ key: string; expected: Record<string, unknown> }>,
): Promise<NonNullable<VerifyReport['sample']>> {
  const client = new ZmqClient(endpoint, { timeoutMs: 5000, retries: 1 });
  const out: NonNullable<VerifyReport['sample']> = { endpoint, checked: 0, mismatches: [] };
  try {
    for (const { key, expected } of memories) {
      out.checked++;
      const reply = await client.request({ action: 'get_memory', data: { memory_id: key } });
      const got = reply?.memory as Record<string, unknown> | undefined;
      if (reply?.status !== 'success' || !got) {
        out.mismatches.push({ key, problem: `get_memory answered ${JSON.stringify(reply).slice(0, 200)}` });
        continue;
      }
      const fields = ['content', 'memory_type', 'memory_tier', 'created_at', 'expires_at', 'parent_id'] as const;
      const bad: string[] = fields.filter((f) => canonical(got[f] ?? null) !== canonical(expected[f] ?? null));
      for (const f of ['metadata', 'tags', 'relationships'] as const) if (canonical(got[f]) !== canonical(parseJson(expected[f]))) bad.push(f);
      if (bad.length) out.mismatches.push({ key, problem: `get_memory differs in ${bad.join(', ')}` });
    }
    for (const { key, expected } of twins) {
      out.checked++;
      const reply = await client.request({ action: 'get_twin', user_id: key });
      if (canonical(reply?.twin) !== canonical(parseJson(expected.twin_data))) {
        out.mismatches.push({ key: `twin ${key}`, problem: `get_twin answered ${JSON.stringify(reply).slice(0, 200)}` });
      }
    }
  } finally {
    client.close();
  }
  return out;
}

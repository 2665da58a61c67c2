/**
 * Legacy import throughput on a generated orchestrator store (not a test: run by hand or from the
 * benchmarks). Usage: node --import tsx tests/migration/benchImport.ts [memories=50000] [contentBytes=200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLargeOrchestrator } from '../fixtures/legacy/buildLegacyFixture.js';
import { importLegacy, verifyLegacy } from '../../src/migration/index.js';

const n = Number(process.argv[2] ?? 50_000);
const bytes = Number(process.argv[3] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'migrate-bench-'));
try {
  const t0 = Date.now();
  buildLargeOrchestrator(join(dir, 'legacy'), n, bytes);
  const built = (Date.now() - t0) / 1000;
  const cpu0 = process.cpuUsage();
  const first = await importLegacy({ from: join(dir, 'legacy'), dataDir: join(dir, 'data') });
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const second = await importLegacy({ from: join(dir, 'legacy'), dataDir: join(dir, 'data') });
  const t1 = Date.now();
  const v = await verifyLegacy({ from: join(dir, 'legacy'), dataDir: join(dir, 'data') });
  const verifyS = (Date.now() - t1) / 1000;
  const result = {
    memories: n,
    contentBytes: bytes,
    fixtureSeconds: built,
    import: {
      seconds: first.seconds, rowsPerSecond: first.rowsPerSecond, imported: first.totals.imported,
      // On a shared machine wall time mostly measures the neighbours; CPU time is this process's own cost.
      cpuSeconds, rowsPerCpuSecond: Math.round(n / cpuSeconds),
    },
    loadAverage: (await import('node:os')).loadavg()[0],
    reimport: { seconds: second.seconds, rowsPerSecond: second.rowsPerSecond, imported: second.totals.imported },
    verify: { seconds: verifyS, rowsPerSecond: Math.round(n / verifyS), ok: v.ok },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

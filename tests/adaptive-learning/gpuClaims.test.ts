import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpuLockDirectory } from '../../src/stores/locks/GpuLockDirectory.js';
import { SharedGpuLocks, type GpuClaimMode } from '../../src/suites/adaptive-learning/scheduler/GpuLocks.js';
import { writeGpuCapacityRecord } from '../../src/suites/model-manager/gpuCapacityRecord.js';
import { startTestSuite } from '../helpers/suiteHarness.js';

// How a training job's GPU claim is sized: configured capacity, else the capacity ModelManagerSuite
// recorded in the shared lock folder, else exclusive; no claim at all on a host without a GPU.

const dirs: string[] = [];
function lockDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'al-gpu-claims-'));
  dirs.push(d);
  return d;
}

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function modelManagerHolds(dir: string, mb: number) {
  return new GpuLockDirectory(dir).acquire({ owner: 'ModelManagerSuite', vramMb: mb, capacityMb: 1_000_000, purpose: 'model' });
}

function locks(dir: string, o: { mode?: GpuClaimMode; capacityMb?: number; gpu?: boolean } = {}) {
  return new SharedGpuLocks(dir, { vramMb: 8192, capacityMb: o.capacityMb, mode: o.mode }, () => o.gpu ?? false);
}

const claimFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('AdaptiveLearningSuite'));

test('CPU-only host (no GPU driver, nothing recorded): training takes no claim and is never blocked', async () => {
  const dir = lockDir();
  const held = await modelManagerHolds(dir, 4000);
  const l = locks(dir, { gpu: false });
  assert.equal(l.policy(), { claim: false, source: 'no-gpu' });
  const lease = await l.tryAcquire('0', 'job-1');
  assert.ok(lease, 'not blocked by ModelManagerSuite claims');
  assert.equal(claimFiles(dir), []);
  await lease!.release();
  held.release();
});

test('ModelManagerSuite recorded a CPU backend after probing: no claim even where a driver exists', async () => {
  const dir = lockDir();
  writeGpuCapacityRecord(dir, { device: 'cpu', backend: 'cpu', total_mb: 16000, budget_mb: 12800, probed: true });
  const held = await modelManagerHolds(dir, 4000);
  const l = locks(dir, { gpu: true });
  assert.is(l.policy().source, 'no-gpu');
  assert.ok(await l.tryAcquire('0', 'job'));
  held.release();
});

test('GPU host without a known capacity: the claim is exclusive', async () => {
  const dir = lockDir();
  const l = locks(dir, { gpu: true });
  assert.equal(l.policy(), { claim: true, source: 'exclusive' });
  const held = await modelManagerHolds(dir, 100);
  assert.is(await l.tryAcquire('0', 'job'), undefined, 'waits while ModelManagerSuite holds any model');
  held.release();
  const lease = await l.tryAcquire('0', 'job');
  assert.ok(lease);
  assert.is(claimFiles(dir).length, 1);
  await lease!.release();
  assert.equal(claimFiles(dir), []);
});

test('capacity recorded by ModelManagerSuite makes the claim shared', async () => {
  const dir = lockDir();
  writeGpuCapacityRecord(dir, { device: 'gpu', backend: 'cuda', total_mb: 24000.4, budget_mb: 19200, probed: true });
  const l = locks(dir, { gpu: true });
  assert.equal(l.policy(), { claim: true, capacityMb: 24000, source: 'model-manager-record' });
  const small = await modelManagerHolds(dir, 4000);
  const lease = await l.tryAcquire('0', 'job');
  assert.ok(lease, '4000 + 8192 fits in 24000');
  await lease!.release();
  const big = await modelManagerHolds(dir, 14000);
  assert.is(await l.tryAcquire('0', 'job'), undefined, '18000 + 8192 does not fit');
  big.release();
  small.release();
});

test('configured gpu_capacity_mb wins; mode off never claims; mode always claims on CPU hosts', async () => {
  const dir = lockDir();
  writeGpuCapacityRecord(dir, { device: 'gpu', backend: 'cuda', total_mb: 24000, budget_mb: 19200, probed: true });
  assert.equal(locks(dir, { capacityMb: 9000 }).policy(), { claim: true, capacityMb: 9000, source: 'config' });
  assert.equal(locks(dir, { mode: 'off', capacityMb: 9000 }).policy(), { claim: false, source: 'off' });
  const cpuDir = lockDir();
  const l = locks(cpuDir, { mode: 'always', gpu: false });
  assert.equal(l.policy(), { claim: true, source: 'exclusive' });
  const held = await modelManagerHolds(cpuDir, 10);
  assert.is(await l.tryAcquire('0', 'job'), undefined);
  held.release();
});

test('gpuPresent: the ModelManagerSuite measurement wins, else the GPU driver on the host', () => {
  assert.is(locks(lockDir(), { gpu: false }).gpuPresent(), false);
  assert.is(locks(lockDir(), { gpu: true }).gpuPresent(), true);
  const cpu = lockDir();
  writeGpuCapacityRecord(cpu, { device: 'cpu', backend: 'cpu', total_mb: 16000, budget_mb: 12800, probed: true });
  assert.is(locks(cpu, { gpu: true }).gpuPresent(), false);
  const gpu = lockDir();
  writeGpuCapacityRecord(gpu, { device: 'gpu', backend: 'cuda', total_mb: 24000, budget_mb: 20000, probed: true });
  assert.is(locks(gpu, { gpu: false }).gpuPresent(), true);
});

test('training.status names no GPU on a CPU-only host, and the GPUs where there are some', async () => {
  const dir = lockDir();
  writeGpuCapacityRecord(dir, { device: 'cpu', backend: 'cpu', total_mb: 16000, budget_mb: 12800, probed: true });
  const al = await startTestSuite('AdaptiveLearningSuite', { redisUrl: false, config: { gpu_lock_dir: dir } });
  try {
    const cpu = await al.call({ action: 'training.status' });
    assert.equal([cpu.device, cpu.gpu_present, cpu.gpus, cpu.training_slots], ['cpu', false, [], ['0']]);
    writeGpuCapacityRecord(dir, { device: 'gpu', backend: 'cuda', total_mb: 24000, budget_mb: 20000, probed: true });
    const gpu = await al.call({ action: 'training.status' });
    assert.equal([gpu.device, gpu.gpu_present, gpu.gpus, gpu.training_slots], ['gpu', true, ['0'], ['0']]);
  } finally {
    await al.close();
  }
});

test.run();

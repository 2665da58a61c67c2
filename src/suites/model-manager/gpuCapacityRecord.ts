import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * What ModelManagerSuite measured about the accelerator, written into the shared GPU lock folder
 * as `capacity.json` so another process (AdaptiveLearningSuite) can size its claims without
 * probing the card itself. The lock folder only reads `*.gpulock` files, so this file is inert there.
 */
export interface GpuCapacityRecord {
  /** 'gpu' when node-llama-cpp runs a GPU backend, else 'cpu'. */
  device: 'gpu' | 'cpu';
  backend: string;
  /** Measured total memory of the device (MiB): VRAM on a GPU, RAM on CPU. */
  total_mb: number;
  /** The share ModelManagerSuite budgets for its models (MiB). */
  budget_mb: number;
  /** true when node-llama-cpp was allowed to look for a GPU (config gpu ≠ false). */
  probed: boolean;
  host: string;
  pid: number;
  written_at: string;
}

export const CAPACITY_FILE = 'capacity.json';

export function writeGpuCapacityRecord(lockDir: string, r: Omit<GpuCapacityRecord, 'host' | 'pid' | 'written_at'>): GpuCapacityRecord {
  const rec: GpuCapacityRecord = { ...r, host: hostname(), pid: process.pid, written_at: new Date().toISOString() };
  const file = join(lockDir, CAPACITY_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec));
  renameSync(tmp, file);
  return rec;
}

/** The record of this host, or undefined (absent, unreadable, or written on another host). */
export function readGpuCapacityRecord(lockDir: string): GpuCapacityRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(join(lockDir, CAPACITY_FILE), 'utf8')) as GpuCapacityRecord;
    if (rec.host !== hostname() || (rec.device !== 'gpu' && rec.device !== 'cpu') || !(rec.total_mb > 0)) return undefined;
    return rec;
  } catch {
    return undefined;
  }
}

import { Redis } from 'ioredis';
import { RejectError, type SourceRow, type SourceUnit } from '../types.js';
import { field } from '../values.js';
import { memoryMapping, memoryTarget } from './memoryRows.js';

/**
 * Legacy Redis db0 (memory_hub.md §2.4.3, §2.9): the orchestrator's `mem:<id>` copies of memories
 * and CacheManager's `memory:<id>` / `<cache_type>:<key>` entries.
 * - `mem:*` → memories (after the SQLite stores: an id the orchestrator DB already gave is only
 *   compared, and a stale cached copy that differs is reported, not written);
 * - everything else → kv_entries in namespace `legacy-cache.<type>`, keeping the remaining TTL.
 */
export const KIND = 'redis';
export const CACHE_NAMESPACE_PREFIX = 'legacy-cache.';

export interface RedisSourceOptions {
  url: string;
  /** Only keys under this prefix are read (it is stripped from the key names). */
  keyPrefix?: string;
}

/** The URL without credentials, for unit ids and reports. */
export function redisLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}/${u.pathname.replace(/^\//, '') || '0'}`;
  } catch {
    return url;
  }
}

interface KeyRow {
  key: string;
  type: string;
  value: string | null;
  pttl: number;
}

export class RedisSource {
  private rows: KeyRow[] | undefined;
  readonly label: string;

  constructor(private readonly opts: RedisSourceOptions) {
    this.label = `${redisLabel(opts.url)}${opts.keyPrefix ? `/${opts.keyPrefix}` : ''}`;
  }

  async load(): Promise<KeyRow[]> {
    if (this.rows) return this.rows;
    const client = new Redis(this.opts.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
    let lastError: Error | undefined;
    client.on('error', (err: Error) => (lastError = err));
    try {
      try {
        await client.connect();
      } catch (err) {
        throw new Error(`cannot read the legacy Redis at ${this.label}: ${(lastError ?? (err as Error)).message}`);
      }
      const prefix = this.opts.keyPrefix ?? '';
      const glob = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
      const names: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', glob, 'COUNT', 1000);
        cursor = next;
        names.push(...keys);
      } while (cursor !== '0');
      names.sort();
      const rows: KeyRow[] = [];
      for (let i = 0; i < names.length; i += 500) {
        const batch = names.slice(i, i + 500);
        const pipe = client.pipeline();
        for (const k of batch) pipe.type(k).pttl(k);
        const res = (await pipe.exec())!;
        const strings: string[] = [];
        batch.forEach((k, j) => {
          const type = res[j * 2]![1] as string;
          rows.push({ key: k.slice(prefix.length), type, value: null, pttl: res[j * 2 + 1]![1] as number });
          if (type === 'string') strings.push(k);
        });
        const values = strings.length ? await client.mget(...strings) : [];
        const byName = new Map(strings.map((k, j) => [k.slice(prefix.length), values[j] ?? null]));
        for (const r of rows.slice(rows.length - batch.length)) if (byName.has(r.key)) r.value = byName.get(r.key)!;
      }
      this.rows = rows;
      return rows;
    } finally {
      client.disconnect();
    }
  }

  units(): SourceUnit[] {
    const memRows = (): SourceRow[] => (this.rows ?? []).filter((r) => r.key.startsWith('mem:')).map(toRow);
    const otherRows = (): SourceRow[] => (this.rows ?? []).filter((r) => !r.key.startsWith('mem:')).map(toRow);
    const base = { sourceFile: `redis://${this.label}`, suite: 'memory-hub' as const, prepare: async () => void (await this.load()) };
    return [
      {
        ...base, unit: `${KIND}:${this.label}:mem`, label: 'redis.mem', order: 60,
        count: () => memRows().length, rows: memRows,
        mapping: {
          ...memoryMapping,
          toTarget: (row, ctx) => {
            const entry = parseValue(row);
            const id = row.key.slice('mem:'.length);
            if (entry.memory_id !== undefined && entry.memory_id !== id) throw new RejectError(`value's memory_id ${String(entry.memory_id)} differs from the key`);
            return memoryTarget({ key: row.key, data: { ...entry, memory_id: id } }, ctx);
          },
        },
      },
      {
        ...base, unit: `${KIND}:${this.label}:cache`, label: 'redis.cache', order: 61,
        count: () => otherRows().length, rows: otherRows,
        mapping: {
          targetTable: 'kv_entries', naturalKey: ['namespace', 'key'], compare: ['namespace', 'key', 'value'], jsonColumns: ['value'],
          toTarget: (row, ctx) => {
            const colon = row.key.indexOf(':');
            if (colon <= 0) throw new RejectError('key is not in the legacy <type>:<key> form');
            parseValue(row);
            const pttl = (row.meta?.pttl as number | undefined) ?? -1;
            return {
              namespace: CACHE_NAMESPACE_PREFIX + row.key.slice(0, colon), key: row.key.slice(colon + 1),
              value: field.text(row, 'value'), expires_at: pttl > 0 ? ctx.now + pttl / 1000 : null, created_at: ctx.now, updated_at: ctx.now,
            };
          },
        },
      },
    ];
  }
}

const toRow = (r: KeyRow): SourceRow => ({ key: r.key, data: { type: r.type, value: r.value }, meta: { pttl: r.pttl } });

function parseValue(row: SourceRow): Record<string, unknown> {
  if (row.data.type !== 'string') throw new RejectError(`Redis ${String(row.data.type)} value; legacy keys hold JSON strings`);
  try {
    const v = JSON.parse(row.data.value as string) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch (err) {
    throw new RejectError(`value is not valid JSON (${(err as Error).message})`);
  }
}

import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What MemoryVectorIndex needs from the index that answers searches over large sets: candidates
 * it re-scores exactly, changes as they happen, and a saved form so start-up needs no rebuild.
 * Two kinds: 'hnsw' (AnnIndex, a usearch graph, for dense vectors from an embedding model) and
 * 'columns' (ColumnIndex, a scan of the query's dimensions, for the hashing embedder's sparse ones).
 */
export interface LargeSetIndex {
  readonly kind: 'hnsw' | 'columns';
  readonly dims: number;
  /** Changed since the last save (or never saved). */
  dirty: boolean;
  readonly count: number;
  upsertMany(items: Array<{ seq: number; vector: Float32Array }>): void;
  remove(seq: number): void;
  /** Seqs of up to `k` approximate nearest neighbours, best first. */
  candidates(query: Float32Array, k: number): number[];
  save(file: string, meta: Omit<AnnMeta, 'count' | 'connectivity' | 'version'>): void;
  /** Loads a saved index if its meta data matches; undefined (and nothing loaded) otherwise. */
  load(file: string, expect: { embedder: string; dims: number }): AnnMeta | undefined;
  /** Drops every vector (a rebuild starts from here). */
  clear(): void;
  /** Releases threads the index runs (ColumnIndex's scan helper); searches still work after it. */
  close?(): void;
}

/** What a saved index was built from; a mismatch means it cannot be used. */
export interface AnnMeta {
  embedder: string;
  dims: number;
  /** Last vector_index_log id the saved index includes; later entries are replayed at load. */
  logId: number;
  count: number;
  /** The graph's connectivity (0 for the column index). */
  connectivity: number;
  /** Absent in files written before the column index: those are graphs. */
  kind?: 'hnsw' | 'columns';
  version: 1;
}

/** Removes a saved index and its meta data (stale, or of the other kind). */
export function discardSavedIndex(file: string): void {
  for (const f of [file, `${file}.json`]) rmSync(f, { force: true });
}

/** The file a large-set index of this kind is saved in, beside the database. */
export function savedIndexFile(dir: string, kind: LargeSetIndex['kind']): string {
  return join(dir, kind === 'columns' ? 'memory_vectors.columns' : 'memory_vectors.usearch');
}

/** Writes a saved index's meta data (after the index file itself: the meta data vouches for it). */
export function writeSavedMeta(file: string, meta: AnnMeta): void {
  writeFileSync(`${file}.json.tmp`, JSON.stringify(meta));
  renameSync(`${file}.json.tmp`, `${file}.json`);
}

/**
 * The meta data of a saved index of this kind, embedder and size; undefined when either file is
 * missing, the meta data does not parse, or it describes other vectors.
 */
export function readSavedMeta(file: string, kind: LargeSetIndex['kind'], expect: { embedder: string; dims: number }): AnnMeta | undefined {
  if (!existsSync(file) || !existsSync(`${file}.json`)) return undefined;
  let meta: AnnMeta;
  try {
    meta = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as AnnMeta;
  } catch {
    return undefined;
  }
  if (meta.version !== 1 || (meta.kind ?? 'hnsw') !== kind || meta.embedder !== expect.embedder || meta.dims !== expect.dims) return undefined;
  return meta;
}

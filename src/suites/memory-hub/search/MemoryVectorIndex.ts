import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { AnnIndex } from './AnnIndex.js';
import { ColumnIndex } from './ColumnIndex.js';
import type { LargeSetIndex } from './largeSetIndex.js';
import { VectorIndex, type VectorHit } from './VectorIndex.js';

/**
 * Up to a line a search is an exact scan (VectorIndex: int8 SIMD pass + float re-score, linear in
 * the count, ~3.5 ms at 100k on the 2-core bench host); above it the large-set index answers. For
 * sparse vectors (the hashing embedder) that is ColumnIndex, which scores every vector on the
 * query's dimensions (recall@10 ~1.0 at a million; ~0.3 ms at 100k) and costs nothing to keep up
 * to date, so its line is low: SPARSE_EXACT_MAX_VECTORS. For dense ones (embedding models) it is
 * the HNSW graph (AnnIndex), whose inserts are costly and whose recall is lower, so the exact scan
 * keeps sets up to EXACT_MAX_VECTORS. On the bench's 256-dim hashing vectors the graph was not
 * faster than the scan at 100k (8 ms p50, recall 0.92 with a build beam of 64), and at 1M it held
 * recall 0.83 at 14 ms, hence the column index for them. The large-set index is built in the
 * background when the set first grows past the line and kept from then on; the exact index is
 * dropped once it is ready (a million float32 vectors would take a gigabyte) and rebuilt from
 * SQLite when the set shrinks below half of the line. Config `embedding.exact_search_max` sets
 * the line for either.
 */
export const EXACT_MAX_VECTORS = 150_000;
export const SPARSE_EXACT_MAX_VECTORS = 20_000;
/**
 * Stored vectors of the given seqs (a JSON list), for re-scoring. By primary key, not
 * idx_vectors_embedder, which SQLite would otherwise pick and read ~40 % slower (migration 106).
 */
export const VECTORS_BY_SEQ_SQL = `SELECT seq, vector FROM memory_vectors NOT INDEXED
  WHERE seq IN (SELECT value FROM json_each(?)) AND embedder = ? AND dims = ?`;

/** Graph candidates re-scored exactly per result wanted (at least ANN_MIN_CANDIDATES). */
const CANDIDATES_PER_RESULT = 4;
const ANN_MIN_CANDIDATES = 40;
/** A filter this selective is answered by scoring its rows exactly (vectors read from SQLite). */
const FILTER_EXACT_MAX = 8192;
const ANN_MAX_CANDIDATES = 4096;

/**
 * The memory vectors MemoryHub searches: exact for small sets, ColumnIndex or HNSW (AnnIndex) for
 * large ones, with every result's similarity computed exactly from the stored float32 vector.
 * Vectors must be L2-normalised (the dot product is the cosine).
 */
export class MemoryVectorIndex {
  /** The large-set index ('ann' for short; a graph or a column index, see above). */
  readonly ann: LargeSetIndex;
  /** Present while the set is small, and while the graph is being rebuilt. */
  private flat?: VectorIndex;
  /** The graph holds every vector (false while it is rebuilt in the background). */
  annReady = false;
  /** A rebuild is filling the graph: changes go to it as they happen, so it needs no catch-up. */
  annBuilding = false;
  private readonly readVectors;

  constructor(
    db: SqliteDatabase,
    readonly dims: number,
    embedder: string,
    /** Largest set searched exactly (config `embedding.exact_search_max`; VectorSync picks the default). */
    readonly exactMax = EXACT_MAX_VECTORS,
    /** The embedder's vectors are mostly zeros (see Embedder.sparse). */
    sparse = false,
    /** Told when the column index's helper thread fails (it goes on with one thread). */
    onHelperFailure?: (err: Error) => void,
  ) {
    this.ann = sparse && ColumnIndex.supported(dims) ? new ColumnIndex(dims, { onHelperFailure }) : new AnnIndex(dims);
    this.flat = new VectorIndex(dims);
    const stmt = db.prepare(VECTORS_BY_SEQ_SQL);
    this.readVectors = (seqs: number[]) =>
      (stmt.all(JSON.stringify(seqs), embedder, dims) as Array<{ seq: number; vector: Buffer }>).map((r) => ({ seq: r.seq, vector: blobToVector(r.vector) }));
  }

  /** Vectors searchable now. */
  get count(): number {
    return this.annReady ? this.ann.count : (this.flat?.count ?? 0);
  }

  /** Which structure answers an unfiltered search at this size. */
  get mode(): 'exact' | LargeSetIndex['kind'] {
    return this.flat && (!this.annReady || this.flat.count <= this.exactMax) ? 'exact' : this.ann.kind;
  }

  get hasExact(): boolean {
    return this.flat !== undefined;
  }

  /** Loads the exact index (at start, for a rebuild, or when the set shrank). */
  fillExact(rows: Iterable<{ seq: number; vector: Float32Array }>): void {
    this.flat ??= new VectorIndex(this.dims);
    for (const r of rows) this.flat.upsert(r.seq, r.vector);
  }

  dropExact(): void {
    this.flat = undefined;
  }

  /** The graph is only updated once it exists (built, or being built). */
  upsertMany(items: Array<{ seq: number; vector: Float32Array }>): void {
    for (const { seq, vector } of items) this.flat?.upsert(seq, vector);
    if (this.annReady || this.annBuilding) this.ann.upsertMany(items);
  }

  remove(seq: number): void {
    this.flat?.remove(seq);
    if (this.annReady || this.annBuilding) this.ann.remove(seq);
  }

  /** Top-k by cosine at or above `minSimilarity`; `only` restricts the result to those seqs. */
  search(query: Float32Array, k: number, minSimilarity = -1, only?: Set<number>): VectorHit[] {
    if (k <= 0) return [];
    if (this.mode === 'exact') return this.flat!.search(query, k, minSimilarity, only);
    if (only && only.size <= FILTER_EXACT_MAX) return this.rescore(query, [...only], k, minSimilarity);
    // The large-set index knows nothing of filters: ask for more candidates the more selective the filter.
    const widen = only ? Math.ceil(this.ann.count / Math.max(1, only.size)) : 1;
    const wanted = Math.min(ANN_MAX_CANDIDATES, Math.max(ANN_MIN_CANDIDATES, CANDIDATES_PER_RESULT * k) * widen);
    let seqs = this.ann.candidates(query, wanted);
    if (only) seqs = seqs.filter((s) => only.has(s));
    const hits = this.rescore(query, seqs, k, minSimilarity);
    // Too few passed the filter: score the filtered rows themselves (slow but exact).
    if (only && hits.length < k) return this.rescore(query, [...only], k, minSimilarity);
    return hits;
  }

  /** Exact cosine of the given seqs from their stored float32 vectors; best k above the floor. */
  private rescore(query: Float32Array, seqs: number[], k: number, minSimilarity: number): VectorHit[] {
    const hits: VectorHit[] = [];
    for (let i = 0; i < seqs.length; i += 4096) {
      for (const { seq, vector } of this.readVectors(seqs.slice(i, i + 4096))) {
        let s = 0;
        for (let j = 0; j < vector.length; j++) s += query[j]! * vector[j]!;
        if (s >= minSimilarity) hits.push({ seq, similarity: s });
      }
    }
    return hits.sort((a, b) => b.similarity - a.similarity).slice(0, k);
  }
}

/**
 * A memory_vectors BLOB as a Float32Array: a view of the Buffer where it is 4-byte aligned (as
 * better-sqlite3's own buffers are), else a copy. Every holder of vectors copies them in, so a
 * view is enough, and a search re-scoring 40 rows then leaves 40 buffers for the GC, not 80.
 */
export function blobToVector(b: Buffer): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

import type { Logger } from '../../../runtime/logger.js';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { MemoryEntry } from '../memory/memoryRecord.js';
import type { Embedder } from '../MemoryHubDeps.js';
import { bm25Search, filteredSeqs, substringSearch, type SearchFilters } from './lexicalSearch.js';
import { reciprocalRankFusion } from './rrf.js';
import type { VectorSync } from './VectorSync.js';

export type SearchMode = 'hybrid' | 'semantic' | 'lexical';

export interface SearchRequest {
  query: string;
  limit: number;
  filters?: SearchFilters;
  mode?: SearchMode;
  /** Cosine below this is not a semantic match (default from config / embedder). */
  minSimilarity?: number;
  /** Also rank legacy substring matches (search_memory semantics). */
  substring?: boolean;
}

export interface SearchHit {
  entry: MemoryEntry;
  /** RRF score of the fused lists. */
  score: number;
  /** Cosine similarity when the semantic list found it. */
  similarity?: number;
  /** Which lists found it. */
  matched_by: string[];
}

/** How far each ranked list is read before fusion, relative to the requested limit. */
const OVERFETCH = 4;
/** How many queued memories a search embeds inline before answering (the rest is background work). */
const INLINE_SYNC = 512;
/** After the embedding provider fails, searches skip the semantic list for this long. */
const SEMANTIC_BACKOFF_MS = 5000;

export class SemanticUnavailableError extends Error {
  override readonly name = 'SemanticUnavailableError';
}

/**
 * Lexical (FTS5/BM25, optionally legacy substring) and semantic (embedding cosine) candidate lists
 * merged with reciprocal-rank fusion. Used by semantic_search, search_memory, embedding.search.
 */
export class HybridSearch {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly store: MemoryStore,
    private readonly embedder: Embedder,
    private readonly vectors: VectorSync,
    private readonly defaultMinSimilarity: number,
    private readonly log: Logger,
  ) {}

  private semanticDownUntil = 0;
  private semanticError = '';

  async search(req: SearchRequest): Promise<SearchHit[]> {
    const limit = Math.max(1, Math.min(1000, Math.floor(req.limit)));
    const mode = req.mode ?? 'hybrid';
    // Fusion needs deeper lists than it returns; a single semantic list does not.
    const fetch = mode === 'semantic' ? limit : Math.min(1000, limit * OVERFETCH);
    const filters = req.filters ?? {};
    const lists: Array<{ name: string; seqs: number[] }> = [];
    if (mode !== 'semantic') {
      lists.push({ name: 'lexical', seqs: bm25Search(this.db, req.query, fetch, filters) });
      if (req.substring) lists.push({ name: 'substring', seqs: substringSearch(this.db, req.query, fetch, filters) });
    }
    const similarity = new Map<number, number>();
    if (mode !== 'lexical' && req.query.trim() !== '' && Date.now() < this.semanticDownUntil) {
      // Provider failed moments ago: answer at once instead of waiting for another timeout.
      if (mode === 'semantic') throw new SemanticUnavailableError(`Semantic search unavailable: ${this.semanticError}`);
    } else if (mode !== 'lexical' && req.query.trim() !== '') {
      try {
        await this.vectors.sync(INLINE_SYNC).catch(() => undefined); // queued rows stay queued; search what is indexed
        const [q] = await this.embedder.embed([req.query]);
        const hits = this.vectors.index.search(q!, fetch, req.minSimilarity ?? this.defaultMinSimilarity, filteredSeqs(this.db, filters));
        hits.forEach((h) => similarity.set(h.seq, h.similarity));
        lists.push({ name: 'semantic', seqs: hits.map((h) => h.seq) });
      } catch (err) {
        // Embedding provider down: answer from the lexical lists rather than failing the search.
        this.semanticError = (err as Error).message;
        this.semanticDownUntil = Date.now() + SEMANTIC_BACKOFF_MS;
        this.log.warn({ err: this.semanticError }, 'semantic search unavailable; lexical results only');
        if (mode === 'semantic') throw new SemanticUnavailableError(`Semantic search unavailable: ${this.semanticError}`);
      }
    }
    const fused = reciprocalRankFusion(lists.map((l) => l.seqs)).slice(0, limit);
    const found = new Map(this.store.bySeq(fused.map((f) => f.id)).map((r) => [r.seq, r.entry]));
    return fused.flatMap((f) => {
      const entry = found.get(f.id);
      if (!entry) return [];
      const sim = similarity.get(f.id);
      return [{ entry, score: f.score, ...(sim !== undefined ? { similarity: sim } : {}), matched_by: lists.filter((l) => l.seqs.includes(f.id)).map((l) => l.name) }];
    });
  }
}

import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { reciprocalRankFusion } from '../search/rrf.js';
import { ftsQuery, type ConversationVectors, type TextItem, type VectorKind } from './ConversationVectors.js';

export interface SearchOptions {
  limit: number;
  /** false = lexical (BM25) only. */
  semantic?: boolean;
  /** Interactions only: restrict to one session. */
  sessionId?: string;
}

export interface SearchHit {
  id: string;
  /** Fused reciprocal-rank score (higher is better). */
  score: number;
}

/** Each list is cut to this many candidates before fusion (a few times the usual limit). */
const CANDIDATES = 50;

/**
 * Hybrid search over the conversation tables: FTS5 BM25 for words, the embedder for meaning,
 * merged by reciprocal-rank fusion (src/suites/memory-hub/search/rrf.ts).
 * Used by search_interactions, search_context and search_facts.
 */
export class ConversationSearch {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly vectors: ConversationVectors,
    private readonly minSimilarity: number,
    private readonly missing: Record<VectorKind, (embedder: string, limit: number) => TextItem[]>,
  ) {}

  private lexicalInteractions(match: string, sessionId: string | undefined, n: number): string[] {
    const sql = `SELECT i.interaction_id FROM session_interactions_fts f JOIN session_interactions i ON i.seq = f.rowid
      WHERE session_interactions_fts MATCH ? ${sessionId !== undefined ? 'AND i.session_id = ?' : ''}
      ORDER BY bm25(session_interactions_fts) LIMIT ?`;
    const args: unknown[] = sessionId !== undefined ? [match, sessionId, n] : [match, n];
    return this.db.prepare(sql).pluck().all(...args) as string[];
  }

  private lexicalFacts(match: string, n: number): string[] {
    // topic hits weigh more than content hits (bm25 column weights)
    return this.db
      .prepare(`SELECT k.memory_id FROM knowledge_base_fts f JOIN knowledge_base k ON k.seq = f.rowid
        WHERE knowledge_base_fts MATCH ? ORDER BY bm25(knowledge_base_fts, 2.0, 1.0) LIMIT ?`)
      .pluck()
      .all(match, n) as string[];
  }

  private async fuse(kind: VectorKind, query: string, lexical: string[], opts: SearchOptions, candidates?: () => string[]): Promise<SearchHit[]> {
    const lists: string[][] = [lexical];
    if (opts.semantic !== false) {
      await this.vectors.backfill(kind, this.missing[kind]);
      lists.push(await this.vectors.rank(kind, query, CANDIDATES, this.minSimilarity, candidates?.()));
    }
    return reciprocalRankFusion(lists).slice(0, opts.limit);
  }

  async interactions(query: string, opts: SearchOptions): Promise<SearchHit[]> {
    const match = ftsQuery(query);
    const lexical = match ? this.lexicalInteractions(match, opts.sessionId, CANDIDATES) : [];
    const scope =
      opts.sessionId !== undefined
        ? () => this.db.prepare('SELECT interaction_id FROM session_interactions WHERE session_id = ?').pluck().all(opts.sessionId) as string[]
        : undefined;
    return this.fuse('interaction', query, lexical, opts, scope);
  }

  async facts(query: string, opts: SearchOptions): Promise<SearchHit[]> {
    const match = ftsQuery(query);
    const lexical = match ? this.lexicalFacts(match, CANDIDATES) : [];
    return this.fuse('fact', query, lexical, opts);
  }
}

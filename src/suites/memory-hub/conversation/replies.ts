import { errorReply } from '../../../runtime/errors.js';
import { ConflictError, InputError, NotFoundError } from './errors.js';

/** True for the errors the services raise on purpose (their message is meant for the client). */
export function isExpected(err: unknown): err is NotFoundError | ConflictError | InputError {
  return err instanceof NotFoundError || err instanceof ConflictError || err instanceof InputError;
}

/**
 * Runs a handler body with a legacy agent's error convention: expected errors answer with their
 * message; anything else answers `<prefix>: <text>` (e.g. SessionMemoryAgent's
 * "Exception adding interaction: …") instead of escaping to the transport.
 */
export async function guarded(prefix: string, body: () => Promise<unknown> | unknown, extra: Record<string, unknown> = {}): Promise<unknown> {
  try {
    return await body();
  } catch (err) {
    if (isExpected(err)) return errorReply(err.message, extra);
    return errorReply(`${prefix}: ${(err as Error).message}`, extra);
  }
}

/** Python truthiness for the fields legacy handlers tested with `if not x`. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/**
 * The search reply SessionMemoryAgent (`search_interactions`) and the MainPC ContextManager
 * (`search_context`) share: hybrid search over interactions, lexical only when use_semantic is false.
 */
export function searchInteractionsReply(
  search: { searchInteractions(query: string, opts: { sessionId?: string; limit: number; semantic: boolean }): Promise<unknown[]> },
  p: { query?: string | null; session_id?: string | null; limit?: number | null; use_semantic?: boolean | null },
  errorPrefix: string,
): Promise<unknown> {
  return guarded(errorPrefix, async () => {
    if (!truthy(p.query)) return errorReply('Missing query');
    const results = await search.searchInteractions(p.query!, {
      sessionId: p.session_id || undefined,
      limit: p.limit || 10,
      semantic: p.use_semantic !== false,
    });
    return { status: 'success', results };
  });
}

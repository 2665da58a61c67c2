/** Epoch seconds as a float, the legacy timestamp unit of the memory agents. */
export const nowS = (): number => Date.now() / 1000;

/** Session, interaction and knowledge ids: the same time-ordered `mem-` ids as memories. */
export { newMemoryId } from '../memory/memoryIds.js';

/** JSON column → value; a damaged column yields the fallback instead of failing the read. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Rough token count (≈4 characters per token), used only for budgets. */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/** Naive local ISO time without zone, as the legacy Python `datetime.now().isoformat()`. */
export function localIso(d = new Date()): string {
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().replace('Z', '');
}

/**
 * A map keyed by a pair of strings (agent, action) on the request path: two Map lookups, so no
 * joined key string is built for every request.
 */
export class PairMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();

  get(a: string, b: string): V | undefined {
    return this.outer.get(a)?.get(b);
  }

  set(a: string, b: string, value: V): void {
    let inner = this.outer.get(a);
    if (!inner) this.outer.set(a, (inner = new Map()));
    inner.set(b, value);
  }

  *values(): IterableIterator<V> {
    for (const inner of this.outer.values()) yield* inner.values();
  }
}

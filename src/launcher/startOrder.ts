/** Dependency ordering shared by the config validator and the launcher. */

export interface OrderNode {
  readonly name: string;
  readonly startupOrder: number;
  /** Names of nodes in the same graph this one needs (edges to unknown names are ignored here). */
  readonly needs: readonly string[];
}

/**
 * Finds dependency cycles. Each cycle is returned once, as the path that closes it
 * (e.g. ["A", "B", "A"]).
 */
export function findCycles(nodes: readonly OrderNode[]): string[][] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();

  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of byName.get(name)?.needs ?? []) {
      if (!byName.has(dep)) continue;
      const s = state.get(dep);
      if (s === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const key = [...cycle.slice(0, -1)].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const n of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) if (!state.has(n.name)) visit(n.name);
  return cycles;
}

/**
 * Start order: every node after the nodes it needs; among nodes that are ready at the same time,
 * lower `startupOrder` first, then name. Throws if the graph has a cycle.
 */
export function startOrder<T extends OrderNode>(nodes: readonly T[]): T[] {
  const cycles = findCycles(nodes);
  if (cycles.length) throw new Error(`dependency cycle: ${cycles[0].join(' -> ')}`);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const out: T[] = [];
  while (out.length < nodes.length) {
    const ready = nodes
      .filter((n) => !done.has(n.name) && n.needs.every((d) => !byName.has(d) || done.has(d)))
      .sort((a, b) => a.startupOrder - b.startupOrder || a.name.localeCompare(b.name));
    const next = ready[0];
    done.add(next.name);
    out.push(next);
  }
  return out;
}

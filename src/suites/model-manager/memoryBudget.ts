/** A loaded model as the budget sees it. */
export interface BudgetEntry {
  id: string;
  mb: number;
  /** Lower number = more important (legacy priority levels: high 1 … default 5). */
  priority: number;
  pinned: boolean;
  inUse: boolean;
  lastUsed: number;
}

export interface EvictionPlan {
  fits: boolean;
  /** Models to unload, least recently used first; empty when the request fits as is. */
  victims: string[];
  freeMb: number;
  requiredMb: number;
  capacityMb: number;
  /** Why it cannot fit, for the error text. */
  reason?: string;
}

/**
 * Decides which loaded models to unload so `requiredMb` fits in `capacityMb`.
 * Only models that are not pinned, not in use and not more important than the requester are
 * candidates, least recently used first, and only as many as needed: the already-free part of the
 * budget counts (legacy MMA ignored it and over-evicted, model_manager.md §3.10).
 */
export function planEviction(args: {
  requiredMb: number;
  capacityMb: number;
  loaded: BudgetEntry[];
  requesterPriority: number;
}): EvictionPlan {
  const { requiredMb, capacityMb, loaded, requesterPriority } = args;
  const used = loaded.reduce((s, e) => s + e.mb, 0);
  const freeMb = capacityMb - used;
  const base = { requiredMb, capacityMb, freeMb };
  if (requiredMb <= freeMb) return { ...base, fits: true, victims: [] };
  if (requiredMb > capacityMb) {
    return { ...base, fits: false, victims: [], reason: `needs ${requiredMb} MiB but the whole budget is ${capacityMb} MiB` };
  }
  const candidates = loaded
    .filter((e) => !e.pinned && !e.inUse && e.priority >= requesterPriority)
    .sort((a, b) => a.lastUsed - b.lastUsed);
  const victims: string[] = [];
  let free = freeMb;
  for (const c of candidates) {
    if (free >= requiredMb) break;
    victims.push(c.id);
    free += c.mb;
  }
  if (free >= requiredMb) return { ...base, fits: true, victims };
  const blocked = loaded.filter((e) => !candidates.includes(e)).map((e) => `${e.id}${e.pinned ? ' (pinned)' : e.inUse ? ' (in use)' : ' (higher priority)'}`);
  return {
    ...base,
    fits: false,
    victims: [],
    reason: `needs ${requiredMb} MiB, ${Math.max(0, Math.round(freeMb))} MiB free of ${capacityMb} MiB and evicting every candidate would free only ${Math.round(free - freeMb)} MiB${blocked.length ? `; not evictable: ${blocked.join(', ')}` : ''}`,
  };
}

/** FIFO async mutex: load/unload/evict/swap decisions run one at a time. */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

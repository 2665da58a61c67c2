/** SelfTrainingOrchestrator's resource model (learning_suite.md §2.4): named pools with fixed limits. */
export const RESOURCE_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  cpu: 100.0,
  gpu: 100.0,
  memory: 16.0,
  storage: 100.0,
  network: 1000.0,
});

export type Resources = Record<string, number>;

export class ResourceBudget {
  private readonly available: Record<string, number> = { ...RESOURCE_LIMITS };

  /** Every key a known pool, every value a number in (0, limit]; an empty set is invalid too. */
  static valid(r: unknown): r is Resources {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
    const entries = Object.entries(r);
    if (entries.length === 0) return false;
    return entries.every(([k, v]) => k in RESOURCE_LIMITS && typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= RESOURCE_LIMITS[k]!);
  }

  fits(r: Resources): boolean {
    return Object.entries(r).every(([k, v]) => (this.available[k] ?? 0) >= v);
  }

  allocate(r: Resources): void {
    for (const [k, v] of Object.entries(r)) this.available[k] = (this.available[k] ?? 0) - v;
  }

  release(r: Resources): void {
    for (const [k, v] of Object.entries(r)) this.available[k] = Math.min(RESOURCE_LIMITS[k]!, (this.available[k] ?? 0) + v);
  }

  snapshot(): Record<string, number> {
    return { ...this.available };
  }
}

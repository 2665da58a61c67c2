/** The schema-independent shape every startup file is reduced to before validation. */

export interface DependencyRef {
  readonly name: string;
  /** Machine named in the file (`{name, machine}` form), if any. */
  readonly machine?: string;
}

export interface Entry {
  /** Name as written in the file. */
  readonly name: string;
  /** Registry name when this entry is one of the suites this launcher runs. */
  readonly suite?: string;
  readonly source: string;
  readonly enabled: boolean;
  readonly port?: number;
  readonly healthPort?: number;
  readonly metricsPort?: number;
  readonly bindAddress?: string;
  readonly startupOrder: number;
  readonly dependencies: DependencyRef[];
  readonly config: Record<string, unknown>;
  readonly legacyPorts: boolean;
}

/** A suite on the other machine that local suites may depend on or call. */
export interface RemoteEntry {
  readonly name: string;
  readonly machine: string;
  readonly port: number;
  readonly healthPort: number;
}

export interface ParsedFile {
  readonly machine: string;
  readonly entries: Entry[];
  readonly remotes: RemoteEntry[];
  readonly machineAddresses: Record<string, string>;
  readonly bindAddress?: string;
  readonly deprecated?: string[];
  readonly errorBus?: { enabled: boolean; machine: string; port: number; pubPort: number };
  readonly launcher: Record<string, unknown>;
}

export class Problems {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  error(msg: string): void {
    this.errors.push(msg);
  }
  warn(msg: string): void {
    this.warnings.push(msg);
  }
}

/** Thrown by loadStartupConfig; `problems` lists every violation found, not only the first. */
export class StartupConfigError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? `${file}: ${problems[0]}`
        : `${file}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'StartupConfigError';
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a dependency list: names, or `{name, machine}` maps. */
export function readDependencies(raw: unknown, where: string, p: Problems): DependencyRef[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    p.error(`${where}.dependencies must be a list, got ${JSON.stringify(raw)}`);
    return [];
  }
  const out: DependencyRef[] = [];
  raw.forEach((d, i) => {
    if (typeof d === 'string' && d.trim()) out.push({ name: d.trim() });
    else if (isRecord(d) && typeof d.name === 'string') {
      out.push({ name: d.name, machine: typeof d.machine === 'string' ? d.machine : undefined });
    } else p.error(`${where}.dependencies[${i}] must be a name or {name, machine}, got ${JSON.stringify(d)}`);
  });
  return out;
}

export function readBool(raw: unknown, def: boolean, where: string, p: Problems): boolean {
  if (raw === undefined || raw === null) return def;
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  p.error(`${where} must be true or false, got ${JSON.stringify(raw)}`);
  return def;
}

export function readInt(raw: unknown, def: number, where: string, p: Problems): number {
  if (raw === undefined || raw === null) return def;
  const n = typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isFinite(n)) return n;
  p.error(`${where} must be a number, got ${JSON.stringify(raw)}`);
  return def;
}

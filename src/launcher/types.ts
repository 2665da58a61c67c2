/** A dependency of one suite, resolved to the address its health socket is probed on. */
export interface DependencySpec {
  readonly name: string;
  /** Address to probe (the other machine's address for remote ones). */
  readonly host?: string;
  readonly healthPort?: number;
  /** true when the dependency runs on the other machine (not started by this launcher). */
  readonly remote: boolean;
  /** Machine the dependency lives on (MainPC, PC2, ...), when known. */
  readonly machine?: string;
}

/** One suite as a startup config describes it, after env expansion and PORT_OFFSET. */
export interface ServiceSpec {
  /** Suite name as in src/suites/registry.ts, e.g. "MemoryHub". */
  readonly name: string;
  readonly enabled: boolean;
  readonly port: number;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly bindAddress: string;
  /** Address other processes use to reach this suite (bindAddress, or 127.0.0.1 for a wildcard bind). */
  readonly host: string;
  /** Lower starts first; ties broken by dependencies. */
  readonly startupOrder: number;
  /** Suite names this one needs; `remote` ones are probed on the other machine's address. */
  readonly dependencies: ReadonlyArray<DependencySpec>;
  /** The suite's free-form `config:` map. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Bind the replaced agents' own ports too (each port's traffic goes to its one agent). */
  readonly legacyPorts: boolean;
  /** Where the entry came from in the file, e.g. "services.MemoryHub" or "pc2_services[2]". */
  readonly source: string;
}

export interface RestartPolicy {
  /** Restarts allowed inside `windowMs`; one more crash and the suite is given up on. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  /** First back-off delay; doubled after each crash up to `maxBackoffMs`. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export interface LauncherSettings {
  /** How long a started suite has to answer on its health socket. */
  readonly healthTimeoutMs: number;
  /** How long to wait for a remote dependency before starting without it. */
  readonly dependencyTimeoutMs: number;
  /** SIGTERM → SIGKILL grace period on shutdown. */
  readonly shutdownGraceMs: number;
  /** Interval of the background health probe that keeps the state file current. */
  readonly monitorIntervalMs: number;
  readonly restart: RestartPolicy;
  /** Best-effort register_agent to SystemDigitalTwin (infrastructure.md §1.7). */
  readonly registration: { readonly enabled: boolean; readonly host: string; readonly port: number; readonly timeoutMs: number };
}

export type ConfigSchema = 'agent-suites' | 'legacy-agent-groups' | 'legacy-pc2-services';

export interface StartupConfig {
  readonly file: string;
  readonly schema: ConfigSchema;
  readonly machine: string;
  readonly portOffset: number;
  /** Machine name → address (from MAINPC_IP / MAIN_PC_IP / PC2_IP, else the file, else 127.0.0.1). */
  readonly machines: Readonly<Record<string, string>>;
  readonly services: ServiceSpec[];
  /** Error bus run by the launcher on this machine (XSUB port, XPUB port), if any. */
  readonly errorBus?: { readonly enabled: boolean; readonly port: number; readonly pubPort: number; readonly bindAddress: string };
  /** Where suites publish errors (tcp://host:port). */
  readonly errorBusEndpoint?: string;
  /** Addresses of every suite this machine knows (local and on the other machine), for peerEndpoint(). */
  readonly peers: Readonly<Record<string, { host: string; port: number; healthPort: number; remote?: boolean }>>;
  readonly deprecatedServices: readonly string[];
  readonly launcher: LauncherSettings;
  readonly warnings: readonly string[];
}

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorBusDbFile, startErrorBus } from '../errorbus/ErrorBus.js';
import { createLogger, type Logger } from '../runtime/logger.js';
import { REPO_ROOT } from '../runtime/sourceLayout.js';
import { waitForHealth } from './healthProbe.js';
import { registerWithTwin } from './registerWithTwin.js';
import { type LauncherState, type SuiteStatus, writeState } from './stateFile.js';
import { startOrder } from './startOrder.js';
import { SuiteProcess } from './SuiteProcess.js';
import { suitePortClaims } from './suitePorts.js';
import { waitForPredecessors } from './predecessors.js';
import { describeTaken, takenPorts } from './portCheck.js';
import { awaitHealthEnv } from './dependencyGate.js';
import type { ServiceSpec, StartupConfig } from './types.js';
import { suiteNodeFlags } from './suiteNodeFlags.js';

const WILDCARDS = new Set(['0.0.0.0', '*', '::', '']);

export interface LauncherOptions {
  config: StartupConfig;
  /** State file, logs and the error bus database go under here (suites get DATA_DIR=this). */
  dataDir: string;
  /** Start only these suites (names as in the config). */
  only?: string[];
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /**
   * How to run one suite; defaults to `node --import exitWithLauncher.mjs bin/agent-suites.js serve
   * --suite NAME --config FILE` (the preload stops the suite if the launcher dies).
   */
  childCommand?: (suite: string, configFile: string) => { command: string; args: string[] };
  /** Each time a suite (re)becomes healthy after a spawn. */
  onSuiteHealthy?: (status: SuiteStatus, restarted: boolean) => void;
  /** A suite was given up on or blocked. */
  onSuiteFailed?: (status: SuiteStatus) => void;
}

interface ErrorBusHandle {
  close(): unknown;
}

/**
 * Brings one machine's suites up in dependency order, each in its own child process, and keeps
 * them up; writes DATA_DIR/launcher-state.json on every change for `agent-suites status`.
 */
export class Launcher {
  readonly log: Logger;
  private readonly procs: SuiteProcess[] = [];
  private readonly state: LauncherState;
  private bus?: ErrorBusHandle;
  private monitor?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private registrationSkipLogged = false;

  constructor(private readonly opts: LauncherOptions) {
    this.log = opts.log ?? createLogger('launcher');
    const cfg = opts.config;
    const unknown = (opts.only ?? []).filter((n) => !cfg.services.some((s) => s.name === n));
    if (unknown.length) throw new Error(`--only names suites not in ${cfg.file}: ${unknown.join(', ')} (it has ${cfg.services.map((s) => s.name).join(', ')})`);
    const selected = cfg.services.filter((s) => s.enabled && (!opts.only?.length || opts.only.includes(s.name)));
    const ordered = startOrder(selected.map((s) => ({
      ...s,
      needs: s.dependencies.filter((d) => !d.remote).map((d) => d.name),
    })));
    const logDir = path.join(opts.dataDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const env = { ...(opts.env ?? process.env), DATA_DIR: opts.dataDir, AGENT_SUITES_CHILD: '1', AGENT_SUITES_LAUNCHER_PID: String(process.pid) };
    for (const spec of ordered) {
      const cmd = opts.childCommand?.(spec.name, cfg.file) ?? {
        command: process.execPath,
        args: [
          ...suiteNodeFlags(spec.name),
          '--import', pathToFileURL(path.join(REPO_ROOT, 'src', 'launcher', 'exitWithLauncher.mjs')).href,
          path.join(REPO_ROOT, 'bin', 'agent-suites.js'), 'serve', '--suite', spec.name, '--config', cfg.file,
        ],
      };
      let lastState = 'pending';
      const localDeps = spec.dependencies.filter((d) => !d.remote && ordered.some((o) => o.name === d.name));
      const proc: SuiteProcess = new SuiteProcess({
        spec,
        settings: cfg.launcher,
        logFile: path.join(logDir, `${spec.name}.log`),
        command: cmd,
        env: {
          ...env,
          ...awaitHealthEnv(localDeps.map((d) => {
            const dep = ordered.find((o) => o.name === d.name)!;
            return { name: dep.name, host: dep.host, healthPort: dep.healthPort };
          })),
        },
        log: this.log,
        ports: suitePortClaims(spec, cfg),
        onChange: () => {
          this.save();
          if (proc.status.state === 'failed' && lastState !== 'failed') opts.onSuiteFailed?.(proc.status);
          lastState = proc.status.state;
        },
        onHealthy: (status, restarted) => {
          opts.onSuiteHealthy?.(status, restarted);
          this.register(spec, proc);
        },
      });
      this.procs.push(proc);
    }
    const now = new Date().toISOString();
    this.state = {
      launcherPid: process.pid, config: cfg.file, machine: cfg.machine, portOffset: cfg.portOffset, state: 'starting',
      startedAt: now, updatedAt: now, errorBus: null, suites: this.procs.map((p) => p.status),
    };
  }

  /**
   * True when no selected suite is running or can still come back: each one has been given up on
   * or blocked (a launcher in that state has nothing left to supervise).
   */
  allGaveUp(): boolean {
    return this.procs.length > 0 && this.procs.every((p) => p.status.state === 'failed' || p.status.state === 'blocked');
  }

  /** Current snapshot (the same object the state file is written from). */
  snapshot(): LauncherState {
    return JSON.parse(JSON.stringify(this.state)) as LauncherState;
  }

  private save(): void {
    this.state.updatedAt = new Date().toISOString();
    try {
      writeState(this.opts.dataDir, this.state);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'cannot write launcher state file');
    }
  }

  /**
   * Starts the error bus and every selected suite at once (issue 20: module loading overlaps); a
   * suite with local dependencies is told to hold its start until they answer health, and is
   * blocked if one of them fails. Resolves when each is healthy or given up.
   */
  async start(): Promise<LauncherState> {
    this.save();
    await this.waitForPredecessors();
    const bus = this.startErrorBus();
    const settled = new Map<SuiteProcess, Promise<void>>();
    for (const proc of this.procs) settled.set(proc, this.startSuite(proc, settled));
    await Promise.all([bus, ...settled.values()]);
    if (!this.stopping) {
      this.state.state = 'running';
      this.save();
      this.monitor = setInterval(() => {
        for (const p of this.procs) void p.probe();
      }, this.opts.config.launcher.monitorIntervalMs);
      this.monitor.unref();
    }
    return this.snapshot();
  }

  /**
   * An earlier launcher on this DATA_DIR that was SIGKILLed leaves suites that need a moment to
   * notice and shut down; starting ours before they are gone would race them for the ports.
   */
  private async waitForPredecessors(): Promise<void> {
    const grace = this.opts.config.launcher.shutdownGraceMs;
    const r = await waitForPredecessors(this.opts.dataDir, grace, (found) => {
      const list = found.map((s) => `${s.suite ?? 'suite'} pid ${s.pid}`).join(', ');
      this.log.warn({ pids: found.map((s) => s.pid) },
        `waiting up to ${grace / 1000} s for ${found.length} suite process${found.length === 1 ? '' : 'es'} of an earlier launcher `
        + `(pid ${[...new Set(found.map((s) => s.launcherPid))].join(', ')}, no longer running) to exit: ${list}`);
    });
    if (r.killed.length) {
      this.log.warn({ pids: r.killed.map((s) => s.pid) }, `killed ${r.killed.length} leftover suite process${r.killed.length === 1 ? '' : 'es'} still running after ${grace / 1000} s`);
    } else if (r.found.length) {
      this.log.info(`leftover suites of the earlier launcher exited after ${r.waitedMs} ms`);
    }
  }

  /** One suite: spawned now, healthy-checked once its local dependencies settled (procs are in start order). */
  private async startSuite(proc: SuiteProcess, settled: Map<SuiteProcess, Promise<void>>): Promise<void> {
    const spec = this.specOf(proc);
    const deps = spec.dependencies.flatMap((d) => this.procs.filter((p) => p.name === d.name));
    const depsSettled = Promise.all(deps.map((d) => settled.get(d)));
    const notes = await this.waitForOutsideDependencies(proc, spec);
    if (this.stopping) return;
    const running = proc.start(depsSettled);
    await depsSettled;
    const failedDep = deps.find((d) => d.status.state === 'failed' || d.status.state === 'blocked');
    if (failedDep) {
      // It was waiting for the dependency and never started serving.
      await proc.stop(this.opts.config.launcher.shutdownGraceMs);
      proc.block(`not started: dependency ${failedDep.name} failed`);
      this.opts.onSuiteFailed?.(proc.status);
      return;
    }
    await running;
    if (notes.length && proc.status.state === 'healthy') proc.set({ reason: notes.join('; ') });
  }

  /** Remote dependencies, and local ones left out by --only, are probed but not started here. */
  private async waitForOutsideDependencies(proc: SuiteProcess, spec: ServiceSpec): Promise<string[]> {
    const outside = spec.dependencies.filter((d) => d.remote || !this.procs.some((p) => p.name === d.name));
    const notes: string[] = [];
    if (!outside.length) return notes;
    proc.set({ state: 'waiting', reason: `waiting for ${outside.map((d) => d.name).join(', ')}` });
    const timeout = this.opts.config.launcher.dependencyTimeoutMs;
    await Promise.all(outside.map(async (d) => {
      if (!d.host || !d.healthPort) return;
      const r = await waitForHealth(d.host, d.healthPort, timeout, { intervalMs: 500, abort: () => !!this.stopping });
      if (!r.up && !this.stopping) {
        const note = `started without ${d.name}: ${d.host}:${d.healthPort} gave ${r.status} within ${Math.round(timeout / 1000)} s`;
        this.log.warn({ suite: spec.name, dependency: d.name }, note);
        notes.push(note);
      }
    }));
    proc.set({ reason: null });
    return notes;
  }

  private specOf(proc: SuiteProcess): ServiceSpec {
    return this.opts.config.services.find((s) => s.name === proc.name)!;
  }

  private register(spec: ServiceSpec, proc: SuiteProcess): void {
    const reg = this.opts.config.launcher.registration;
    if (!reg.enabled) return;
    const cfg = this.opts.config;
    const address = WILDCARDS.has(spec.bindAddress) ? (cfg.machines[cfg.machine] ?? spec.host) : spec.bindAddress;
    // Fire and forget: a missing SystemDigitalTwin never holds up start-up.
    void registerWithTwin(spec, reg, cfg.machine, address).then((r) => {
      // Once per launcher: with no SystemDigitalTwin every suite (and every restart) would say it again.
      if (!r.ok && !this.registrationSkipLogged) {
        this.registrationSkipLogged = true;
        this.log.info({ detail: r.detail }, `SystemDigitalTwin registration skipped (${spec.name}; not logged again for other suites or restarts)`);
      } else if (!r.ok) this.log.debug({ suite: spec.name, detail: r.detail }, 'SystemDigitalTwin registration skipped');
      proc.set({ registration: { ...r, at: new Date().toISOString() } });
    });
  }

  private async startErrorBus(): Promise<void> {
    const bus = this.opts.config.errorBus;
    if (!bus?.enabled) return;
    this.state.errorBus = { state: 'stopped', xsubPort: bus.port, xpubPort: bus.pubPort, reason: null };
    try {
      const dbFile = errorBusDbFile(this.opts.dataDir);
      mkdirSync(path.dirname(dbFile), { recursive: true });
      this.bus = await startErrorBus({
        xsubPort: bus.port, xpubPort: bus.pubPort, bindAddress: bus.bindAddress,
        dbFile, log: this.log.child({ component: 'errorbus' }),
      });
      this.state.errorBus.state = 'running';
    } catch (err) {
      const taken = await takenPorts(bus.bindAddress, [
        { port: bus.port, what: 'error bus XSUB' }, { port: bus.pubPort, what: 'error bus XPUB' },
      ]);
      this.state.errorBus.state = 'failed';
      this.state.errorBus.reason = taken.length ? describeTaken(bus.bindAddress, taken) : (err as Error).message;
      this.log.error({ err: this.state.errorBus.reason }, 'error bus did not start; suites still start and log their errors');
    }
    this.save();
  }

  /** Synchronous: SIGTERM to every suite still running (used from a process 'exit' handler). */
  killNow(): void {
    for (const proc of this.procs) proc.killNow();
  }

  /** Stops suites in reverse start order (SIGTERM, grace, SIGKILL), then the error bus. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.monitor) clearInterval(this.monitor);
      this.state.state = 'stopping';
      this.save();
      const grace = this.opts.config.launcher.shutdownGraceMs;
      for (const proc of this.procs) proc.prepareStop();
      for (const proc of [...this.procs].reverse()) await proc.stop(grace);
      if (this.bus) {
        try {
          await this.bus.close();
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'error bus close failed');
        }
        if (this.state.errorBus) this.state.errorBus.state = 'stopped';
      }
      this.state.state = 'stopped';
      this.save();
    })();
    return this.stopping;
  }
}

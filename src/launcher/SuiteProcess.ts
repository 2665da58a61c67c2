import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import type { Logger } from '../runtime/logger.js';
import { type ExpectedOwner, probeHealth, waitForHealth } from './healthProbe.js';
import { describeTaken, type PortClaim, takenPorts } from './portCheck.js';
import { EXIT_REFUSED_DATA } from './exitCodes.js';
import type { SuiteStatus } from './stateFile.js';
import type { LauncherSettings, ServiceSpec } from './types.js';

export interface SuiteProcessOptions {
  spec: ServiceSpec;
  settings: LauncherSettings;
  logFile: string;
  command: { command: string; args: string[] };
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Every port the suite binds; each must be free before a spawn (a taken one fails the suite at once). */
  ports?: readonly PortClaim[];
  /** Called after every state change (the launcher rewrites the state file). */
  onChange: () => void;
  /** Called each time a (re)started process first answers healthy. */
  onHealthy?: (status: SuiteStatus, restarted: boolean) => void;
}

/**
 * Supervises one suite's child process: spawn, wait for its health socket, restart after a crash
 * with exponential back-off, give up after too many crashes in the restart window, stop with
 * SIGTERM then SIGKILL.
 */
export class SuiteProcess {
  readonly status: SuiteStatus;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopping = false;
  private crashTimes: number[] = [];
  private backoffTimer?: NodeJS.Timeout;
  private healthTimedOut = false;
  private probing = false;
  private lastFailure?: string;
  private spawnedAt = 0;
  /** Set when the last health answer came from a process that is not this spawn. */
  private lastForeign?: string;
  private settledWaiters: Array<() => void> = [];
  /** Who must answer the health socket: this spawn's pid and instance id. */
  private owner: ExpectedOwner = {};
  private dependencies?: Promise<unknown>;

  constructor(private readonly opts: SuiteProcessOptions) {
    const s = opts.spec;
    this.status = {
      name: s.name, state: 'pending', pid: null, host: s.host,
      ports: { main: s.port, health: s.healthPort, metrics: s.metricsPort },
      restarts: 0, reason: null, lastExit: null, startedAt: null, healthyAt: null, startupMs: null,
      lastHealth: null, registration: null, log: opts.logFile,
    };
  }

  get name(): string {
    return this.opts.spec.name;
  }

  /** Updates a field set and notifies the launcher. */
  set(patch: Partial<SuiteStatus>): void {
    Object.assign(this.status, patch);
    this.opts.onChange();
  }

  /**
   * Spawns the suite; resolves once it is healthy or has been given up on. With `dependencies`,
   * the health timeout only starts counting once they have settled (the process waits for them).
   */
  start(dependencies?: Promise<unknown>): Promise<void> {
    const settled = new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    this.dependencies = dependencies;
    void this.runOnce();
    return settled;
  }

  private settle(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }

  private async runOnce(): Promise<void> {
    if (this.stopping) return this.settle();
    const taken = this.opts.ports?.length ? await takenPorts(this.opts.spec.bindAddress, this.opts.ports) : [];
    if (this.stopping) return this.settle();
    if (taken.length) {
      // Spawning would only crash-loop on the bind while another process answers our probes.
      this.set({ state: 'failed', pid: null, reason: `not started: ${describeTaken(this.opts.spec.bindAddress, taken)}` });
      this.opts.log.error({ suite: this.name, ports: taken.map((t) => t.port) }, this.status.reason!);
      this.settle();
      return;
    }
    const child = this.spawnChild();
    let gone = false;
    this.exited!.then(() => { gone = true; });
    if (this.dependencies) await Promise.race([this.dependencies, this.exited]);
    const probe = await waitForHealth(this.status.host, this.status.ports.health, this.opts.settings.healthTimeoutMs, {
      abort: () => gone || this.stopping,
      owner: this.owner,
    });
    if (this.stopping || gone || child !== this.child) return; // the exit handler takes over
    if (probe.up) {
      const restarted = this.status.restarts > 0;
      this.set({
        state: 'healthy',
        reason: restarted && this.lastFailure ? `restarted after ${this.lastFailure}` : null,
        healthyAt: new Date().toISOString(),
        startupMs: Date.now() - this.spawnedAt,
        lastHealth: { status: probe.status, at: new Date().toISOString() },
      });
      this.opts.log.info({ suite: this.name, pid: child.pid, ms: this.status.startupMs }, 'suite healthy');
      this.opts.onHealthy?.(this.status, restarted);
      this.settle();
      return;
    }
    // Alive but not answering: treat like a crash so the restart policy decides.
    this.healthTimedOut = true;
    this.lastForeign = probe.foreign;
    this.opts.log.warn({ suite: this.name, last: probe.status }, 'suite not healthy in time; killing it');
    child.kill('SIGKILL');
  }

  private spawnChild(): ChildProcess {
    const { command, args } = this.opts.command;
    const fd = openSync(this.opts.logFile, 'a');
    writeSync(fd, `--- launcher: starting ${this.name} (attempt ${this.status.restarts + 1}) at ${new Date().toISOString()}: ${command} ${args.join(' ')}\n`);
    let child: ChildProcess;
    const instanceId = randomUUID();
    try {
      // Own process group: a Ctrl-C on the terminal reaches only the launcher, which then stops
      // the suites one by one in reverse order.
      child = spawn(command, args, { env: { ...this.opts.env, AGENT_SUITES_INSTANCE_ID: instanceId }, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.owner = { pid: child.pid, instanceId };
    this.lastForeign = undefined;
    this.healthTimedOut = false;
    this.spawnedAt = Date.now();
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        this.onExit(child, code, signal);
      });
      child.once('error', (err) => {
        this.opts.log.error({ suite: this.name, err: err.message }, 'cannot spawn suite process');
        // A process that never started emits no 'exit': count it as a failure here.
        if (child.pid === undefined) {
          resolve();
          this.onExit(child, null, null);
        }
      });
    });
    this.set({ state: 'starting', pid: child.pid ?? null, startedAt: new Date().toISOString(), healthyAt: null, startupMs: null });
    return child;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    const lastExit = { code, signal, at: new Date().toISOString() };
    if (this.stopping) {
      this.set({ state: 'stopped', pid: null, lastExit });
      return;
    }
    const now = Date.now();
    const policy = this.opts.settings.restart;
    this.crashTimes = [...this.crashTimes.filter((t) => now - t <= policy.windowMs), now];
    const how = this.healthTimedOut
      ? `no healthy answer on health port ${this.status.ports.health} within ${Math.round(this.opts.settings.healthTimeoutMs / 1000)} s`
        + (this.lastForeign ? ` (it was ${this.lastForeign})` : '')
      : code !== null ? `exit code ${code}` : `signal ${signal}`;
    const tail = lastLogLine(this.opts.logFile);
    this.opts.log.warn({ suite: this.name, code, signal, crashes: this.crashTimes.length }, 'suite process ended');
    if (code === EXIT_REFUSED_DATA) {
      // The suite's own one-line reason; its JSON log record of the same failure may be written
      // after it (the logger flushes on exit), so the last line is not enough.
      const why = lastLogLine(this.opts.logFile, 1000, (l) => l.startsWith('agent-suites: '))?.replace(/^agent-suites: /, '');
      this.set({ state: 'failed', pid: null, lastExit, reason: `refused to start: ${why ?? 'its data cannot be used (see the log)'}; not restarted` });
      this.opts.log.error({ suite: this.name, reason: this.status.reason }, 'suite refused its data; not restarting it');
      this.settle();
      return;
    }
    if (this.crashTimes.length > policy.maxRestarts) {
      this.set({
        state: 'failed', pid: null, lastExit,
        reason: `gave up after ${this.crashTimes.length} failure${this.crashTimes.length === 1 ? '' : 's'} within ${Math.round(policy.windowMs / 1000)} s `
          + `(last: ${how}); not restarted again${tail ? `; last log line: ${tail}` : ''}`,
      });
      this.opts.log.error({ suite: this.name, reason: this.status.reason }, 'giving up on suite');
      this.settle();
      return;
    }
    const delay = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (this.crashTimes.length - 1));
    this.lastFailure = `${how} at ${lastExit.at}`;
    this.set({ state: 'backoff', pid: null, lastExit, reason: `${how}; restarting in ${delay} ms` });
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.stopping) return this.settle();
      this.status.restarts++;
      void this.runOnce();
    }, delay);
  }

  /** Background probe of a running suite: flips between healthy and unhealthy. */
  async probe(): Promise<void> {
    if (this.probing || !this.child || (this.status.state !== 'healthy' && this.status.state !== 'unhealthy')) return;
    this.probing = true;
    const r = await probeHealth(this.status.host, this.status.ports.health, 2000, this.owner).finally(() => { this.probing = false; });
    if (!this.child || this.stopping) return;
    const state = r.up ? 'healthy' : 'unhealthy';
    const changed = state !== this.status.state || r.status !== this.status.lastHealth?.status;
    this.status.lastHealth = { status: r.status, at: new Date().toISOString() };
    if (changed) this.set({ state, reason: r.up ? (this.lastFailure ? `restarted after ${this.lastFailure}` : null) : `health probe: ${r.status}` });
  }

  /** Marks a suite that is never started (e.g. its local dependency failed). */
  block(reason: string): void {
    this.set({ state: 'blocked', reason });
  }

  /** Synchronous last resort when the launcher itself is exiting abnormally. */
  killNow(): void {
    this.prepareStop();
    this.child?.kill('SIGTERM');
  }

  /** From now on an exit is a stop, not a crash; a pending restart is cancelled. */
  prepareStop(): void {
    this.stopping = true;
    if (this.backoffTimer) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; cancels a pending restart. */
  async stop(graceMs: number): Promise<void> {
    this.prepareStop();
    const child = this.child;
    if (!child || !this.exited) {
      if (this.status.state !== 'failed' && this.status.state !== 'blocked') this.set({ state: 'stopped', pid: null });
      this.settle();
      return;
    }
    this.set({ state: 'stopping' });
    child.kill('SIGTERM');
    const exited = this.exited;
    if (!(await within(exited, graceMs))) {
      this.opts.log.warn({ suite: this.name, pid: child.pid }, `no exit within ${graceMs} ms of SIGTERM; sending SIGKILL`);
      child.kill('SIGKILL');
      await within(exited, 5000);
    }
    this.settle();
  }
}

/** Resolves true when `p` settles within `ms`, false otherwise; never leaves a timer behind. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Last non-empty line of a suite log (that `want` accepts) for the failure reason, at most `max` characters. */
function lastLogLine(file: string, max = 200, want: (line: string) => boolean = () => true): string | undefined {
  try {
    const size = statSync(file).size;
    const buf = readFileSync(file).subarray(Math.max(0, size - 4096)).toString('utf8');
    const line = buf.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('--- launcher:') && want(l)).pop();
    return line?.slice(0, max);
  } catch {
    return undefined;
  }
}

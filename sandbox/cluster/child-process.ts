/**
 * One long-running program of the cluster (PostgreSQL, the Temporal server, the Web UI server, a
 * worker, the API) as a child process: its output appended to a log file, in its own process
 * group (a Ctrl-C in the terminal reaches only the cluster's main process, which then stops the
 * parts in order) and, on Linux, killed by the kernel if the main process dies without cleaning
 * up (`setpriv --pdeathsig`, which execs the program under the same pid).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

const SETPRIV = '/usr/bin/setpriv';

export interface ChildOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  cwd?: string;
  /** Run as this system user (PostgreSQL refuses to run as root). Needs setpriv and root. */
  user?: string;
  /** What the kernel sends it if the main process dies first. Default SIGTERM. */
  parentDeathSignal?: NodeJS.Signals;
}

export class Child {
  readonly process: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(readonly options: ChildOptions) {
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    const log = openSync(options.logFile, 'a');
    const [command, args] = wrap(options);
    this.process = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', log, log], detached: true });
    closeSync(log); // the child has its own copy
    this.exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
    this.process.once('error', () => undefined); // reported through `running` and the exit
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.process.kill(signal);
    const killer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }

  /** kill -9, and wait until it is gone. */
  kill(): Promise<void> {
    return this.stop('SIGKILL', 0);
  }

  /** For exit paths: no waiting. */
  killNow(): void {
    if (this.running) this.process.kill('SIGKILL');
  }

  describeExit(): string {
    return `${this.options.name} exited (code ${this.process.exitCode}, signal ${this.process.signalCode}); see ${this.options.logFile}`;
  }
}

function wrap(options: ChildOptions): [string, string[]] {
  if (!existsSync(SETPRIV)) {
    if (options.user) throw new Error(`running ${options.name} as ${options.user} needs ${SETPRIV}`);
    return [options.command, options.args];
  }
  const user = options.user ? ['--reuid', options.user, '--regid', options.user, '--init-groups'] : [];
  const signal = (options.parentDeathSignal ?? 'SIGTERM').replace(/^SIG/, '');
  return [SETPRIV, [...user, '--pdeathsig', signal, '--', options.command, ...options.args]];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `probe` until it resolves true (or throws `giveUp`'s error when the child died or time ran out). */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, child?: Child): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < giveUpAt) {
    if (child && !child.running) throw new Error(`${what}: ${child.describeExit()}`);
    try {
      if (await probe()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(
    `${what}: not ready within ${Math.round(timeoutMs / 1000)} s (last: ${last})${child ? `; see ${child.options.logFile}` : ''}`,
  );
}

/** Is an HTTP endpoint answering 2xx? */
export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return true;
}

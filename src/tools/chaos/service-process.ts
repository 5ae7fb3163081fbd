/**
 * One production entry point (`node dist/worker.js`, `node dist/api/server.js`) as a child
 * process, the way it is deployed: its own environment, its output appended to a log file, and
 * killed or restarted on demand. An exit nobody asked for is reported to the owner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { KillSignal } from './fault-schedule';

export interface UnexpectedExit {
  service: string;
  pid?: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: string;
}

export class ServiceProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopping = false;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly logFile: string,
    private readonly onUnexpectedExit: (exit: UnexpectedExit) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(env: NodeJS.ProcessEnv): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [this.script], { env, stdio: ['ignore', log, log] });
    closeSync(log); // the child has its own copy
    this.child = child;
    this.stopping = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) this.onUnexpectedExit({ service: this.name, pid: child.pid, code, signal, at: new Date().toISOString() });
        resolve();
      }),
    );
  }

  /** Sends the signal and waits for the exit (SIGKILL after 15 s if a SIGTERM is ignored). */
  async stop(signal: KillSignal): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.child!.kill(signal);
    const forced = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(forced);
  }

  /** For exit handlers: no waiting. */
  killNow(): void {
    if (!this.running) return;
    this.stopping = true;
    this.child!.kill('SIGKILL');
  }
}

/**
 * One production entry point (`node dist/worker.js`, `node dist/api/server.js`) as a child
 * process, the way it is deployed: its own environment, its output appended to a log file,
 * started until ready (again if it gives up while starting, as a supervisor would), and killed
 * on demand. An exit nobody asked for, once it was ready, is reported to the owner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { KillSignal } from './fault-schedule';
import { sleep } from './sleep';
import { waitUntilReady } from './readiness';

export interface ProcessExit {
  service: string;
  pid?: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: string;
  /** 'starting': it gave up before it was ready (it is started again); 'running': it died on its own. */
  phase: 'starting' | 'running';
}

type Phase = 'idle' | 'starting' | 'running' | 'stopping';

const START_ATTEMPTS = 10;

/** What a (re)start needs: the environment and where to ask whether it is ready. */
type ServiceEnv = { env: NodeJS.ProcessEnv; readyUrl: string };

export class ServiceProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private phase: Phase = 'idle';

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly logFile: string,
    private readonly onExit: (exit: ProcessExit) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts it and waits for `readyUrl`. A process that exits while starting (e.g. Temporal is
   * restarting and cannot be reached) is started again, a few times.
   */
  async start(env: () => ServiceEnv | Promise<ServiceEnv>, readyTimeoutMs: number): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    for (let attempt = 1; ; attempt++) {
      const { env: processEnv, readyUrl } = await env();
      this.spawn(processEnv);
      try {
        await waitUntilReady(readyUrl, readyTimeoutMs, () => this.running);
        this.phase = 'running';
        return;
      } catch (err) {
        if (this.running || attempt >= START_ATTEMPTS) {
          this.killNow();
          throw new Error(`${this.name} did not start: ${(err as Error).message}`);
        }
        await sleep(1000);
      }
    }
  }

  /** Sends the signal and waits for the exit (SIGKILL after 15 s if a SIGTERM is ignored). */
  async stop(signal: KillSignal): Promise<void> {
    if (!this.running) return;
    this.phase = 'stopping';
    this.child!.kill(signal);
    const forced = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(forced);
  }

  /** For exit handlers: no waiting. */
  killNow(): void {
    this.phase = 'stopping';
    if (this.running) this.child!.kill('SIGKILL');
  }

  private spawn(env: NodeJS.ProcessEnv): void {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [this.script], { env, stdio: ['ignore', log, log] });
    closeSync(log); // the child has its own copy
    this.child = child;
    this.phase = 'starting';
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.phase === 'starting' || this.phase === 'running') {
          this.onExit({ service: this.name, pid: child.pid, code, signal, at: new Date().toISOString(), phase: this.phase });
        }
        if (this.phase === 'running') this.phase = 'idle';
        resolve();
      }),
    );
  }
}

/**
 * Nothing the run started may outlive it: on a normal end, a crash, Ctrl-C or SIGTERM, every
 * registered part is killed, and as a last net every direct child process of this one (found by
 * its parent pid in /proc) is killed by its pid.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from './sleep';

export class ExitGuard {
  private readonly killers = new Map<string, () => void>();

  /** `label` prefixes its messages: the run it guards. */
  constructor(private readonly label = 'chaos') {}

  /** Registers (or replaces) what kills one part of the run right now, synchronously. */
  set(name: string, killNow: () => void): void {
    this.killers.set(name, killNow);
  }

  install(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        console.error(`\n[${this.label}] ${signal}: stopping every process of the run`);
        this.killAllNow();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    }
    process.once('uncaughtException', (err) => {
      console.error(`[${this.label}] crashed:`, err);
      this.killAllNow();
      process.exit(1);
    });
    process.once('exit', () => this.killAllNow());
  }

  /** Stops `stack` gracefully when it can; whatever is left after a minute, and every child, is killed. */
  async stopGracefully(stack: { stop(): Promise<void> } | undefined): Promise<void> {
    if (stack) {
      const stopped = await Promise.race([
        stack.stop().then(
          () => true,
          () => false,
        ),
        sleep(60_000).then(() => false),
      ]);
      if (!stopped) console.error(`[${this.label}] the stack did not stop cleanly; killing what is left`);
    }
    this.killAllNow();
  }

  killAllNow(): void {
    for (const [name, kill] of this.killers) {
      try {
        kill();
      } catch (err) {
        console.error(`[${this.label}] could not stop ${name}: ${(err as Error).message}`);
      }
    }
    this.killers.clear();
    killChildProcessesNow();
  }
}

/** SIGKILLs every live direct child of this process (Linux /proc; elsewhere the registered killers must do). */
export function killChildProcessesNow(): void {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return;
  }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
      const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parentPid === process.pid) process.kill(Number(name), 'SIGKILL');
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
}

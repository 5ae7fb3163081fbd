/**
 * Every piece of deferred provider work (pending resolutions, webhook attempts and retries)
 * goes through here, so that delays are scaled in one place, `idle()` can tell when nothing is
 * left to happen, and `close()` can cancel it all.
 */

export type Cancel = () => void;
type Task = () => void | Promise<void>;

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(readonly timeScale: number) {}

  /** Provider milliseconds to real milliseconds. */
  scale(providerMs: number): number {
    return providerMs * this.timeScale;
  }

  /** Runs `task` after a provider delay (scaled). */
  afterProviderDelay(providerMs: number, task: Task): Cancel {
    return this.afterRealDelay(this.scale(providerMs), task);
  }

  /** Runs `task` after `realMs` real milliseconds (for injected faults, which are not scaled). */
  afterRealDelay(realMs: number, task: Task): Cancel {
    if (this.closed) return () => undefined;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.run(task);
        this.settle();
      },
      Math.max(0, realMs),
    );
    this.timers.add(timer);
    return () => {
      if (this.timers.delete(timer)) {
        clearTimeout(timer);
        this.settle();
      }
    };
  }

  /** Counts `work` as pending until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running += 1;
    const done = () => {
      this.running -= 1;
      this.settle();
    };
    work.then(done, done);
    return work;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once no timer is armed and no tracked work is running. */
  idle(): Promise<void> {
    if (this.isQuiet()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Disarms every timer; tracked work is expected to be aborted by its owner. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.settle();
  }

  private run(task: Task): void {
    try {
      const result = task();
      if (result) this.track(result).catch((error: unknown) => reportTaskError(error));
    } catch (error) {
      reportTaskError(error);
    }
  }

  private isQuiet(): boolean {
    return this.timers.size === 0 && this.running === 0;
  }

  private settle(): void {
    if (!this.isQuiet()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function reportTaskError(error: unknown): void {
  console.error('zuz simulator: deferred task failed:', error);
}

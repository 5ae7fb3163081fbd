/**
 * Where the run stands, shared by the driver and the fault injector (faults are due by the
 * number of transactions finished).
 */
export class Progress {
  started = 0;
  finished = 0;
  private waiters = new Set<() => void>();

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.notify());
  }

  get inFlight(): number {
    return this.started - this.finished;
  }

  /** Resolves when `condition` holds; false if the run was stopped first. */
  async until(condition: () => boolean): Promise<boolean> {
    while (!condition()) {
      if (this.signal.aborted) return false;
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
    return true;
  }

  transactionStarted(): void {
    this.started++;
    this.notify();
  }

  transactionFinished(): void {
    this.finished++;
    this.notify();
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiters) resolve();
  }
}

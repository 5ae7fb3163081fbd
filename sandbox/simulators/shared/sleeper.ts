/**
 * Delays that a simulator can abandon when it closes, so an injected latency never keeps a
 * process (or a test run) alive after the server is gone.
 */
export class Sleeper {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Resolves after `ms`; never resolves if the sleeper is cancelled first (the socket is gone by then). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * The one owner of the test server's clock. The time-skipping server cannot take two sleeps at
 * once (concurrent `unlockTimeSkippingWithSleep` calls unbalance its lock and overshoot), so the
 * simulation keeps one queue of world events (webhooks, the till's requests) for every
 * transaction in the environment and advances time in one place: to the next event, or by a
 * quantum that doubles while nothing happens. The server itself stops at every workflow timer
 * and activity on the way (it skips only while the workflows are idle).
 *
 * Events an activity schedules while a sleep is under way are delivered at the next wake-up:
 * at most one quantum late. The quantum restarts small after anything happened, so this matters
 * only in long quiet waits; with one transaction at a time, the wake-ups (and so each seed's
 * schedule) are the seed's own.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';

const MIN_QUANTUM_MS = 1000;
const MAX_QUANTUM_MS = 24 * 60 * 60 * 1000;

interface Scheduled {
  atMs: number;
  order: number;
  run: () => Promise<void>;
}

export class SimulationClock {
  private readonly queue: Scheduled[] = [];
  private order = 0;
  private quantumMs = MIN_QUANTUM_MS;
  /** Set by activities and starts: something happened, so the next sleeps are short again. */
  private stirred = false;

  constructor(private readonly env: TestWorkflowEnvironment) {}

  now(): Promise<number> {
    return this.env.currentTimeMs();
  }

  at(atMs: number, run: () => Promise<void>): void {
    this.queue.push({ atMs, order: this.order++, run });
  }

  stir(): void {
    this.stirred = true;
  }

  /** Runs the due events, or advances time towards the next one. `until` is checked between steps. */
  async runUntil(done: () => boolean, beforeStep: () => Promise<void>): Promise<void> {
    while (!done()) {
      await beforeStep();
      if (done()) return;
      const now = await this.now();
      this.queue.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
      if (this.queue.length > 0 && this.queue[0].atMs <= now) {
        const due = this.queue.shift()!;
        await due.run();
        this.quantumMs = MIN_QUANTUM_MS;
        continue;
      }
      const untilNext = this.queue.length > 0 ? this.queue[0].atMs - now : Infinity;
      if (this.stirred) this.quantumMs = MIN_QUANTUM_MS;
      this.stirred = false;
      await this.env.sleep(Math.max(1, Math.min(untilNext, this.quantumMs)));
      this.quantumMs = Math.min(this.quantumMs * 2, MAX_QUANTUM_MS);
    }
  }
}

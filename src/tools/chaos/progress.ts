/**
 * Where the run stands, shared by the driver and the fault injector: how many transactions were
 * started and finished, and how many scheduled faults of each lane have begun. The driver starts
 * transaction k only once every fault due at k has begun, so each fault lands while work is in
 * flight, even on a run that would otherwise race past it.
 */
import type { FaultLane } from './fault-schedule';

export class Progress {
  started = 0;
  finished = 0;
  private readonly begun: Record<FaultLane, number> = { processes: 0, zuz: 0 };
  private waiters = new Set<() => void>();

  constructor(
    /** Each lane's triggers, in order. */
    private readonly triggers: Record<FaultLane, readonly number[]>,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.notify());
  }

  get faultsBegun(): number {
    return this.begun.processes + this.begun.zuz;
  }

  /** Resolves when `condition` holds; false if the run was stopped first. */
  async until(condition: () => boolean): Promise<boolean> {
    while (!condition()) {
      if (this.signal.aborted) return false;
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
    return true;
  }

  /** Before starting the transaction at `index` (0-based): every fault due at or before it has begun. */
  mayStart(index: number): Promise<boolean> {
    const nextDue = (lane: FaultLane) => this.triggers[lane][this.begun[lane]] ?? Infinity;
    return this.until(() => nextDue('processes') > index && nextDue('zuz') > index);
  }

  transactionStarted(): void {
    this.started++;
    this.notify();
  }

  transactionFinished(): void {
    this.finished++;
    this.notify();
  }

  faultBegun(lane: FaultLane): void {
    this.begun[lane]++;
    this.notify();
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiters) resolve();
  }
}

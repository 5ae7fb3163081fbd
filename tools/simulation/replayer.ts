/**
 * One replay worker for a whole batch of seeds. `Worker.runReplayHistory` builds a replay worker
 * per history (the bundle parsed, its source map read, a V8 context and a Core worker made):
 * about 45 % of a simulation process's CPU when done for every seed. The SDK's batch form takes
 * an iterable of histories and replays them one after the other on one worker, each on a cold
 * cache, so the check is the same: the finished history must replay from its first event.
 */
import type { HistoryAndWorkflowId } from '@temporalio/common';
import { Worker, type ReplayResult, type ReplayWorkerOptions } from '@temporalio/worker';

interface Queued extends HistoryAndWorkflowId {
  settle: (failure: string | undefined) => void;
}

export class BatchReplayer {
  private readonly waiting: Queued[] = [];
  /** Replays handed to the worker, answered in the same order. */
  private readonly inFlight: Queued[] = [];
  private wake?: () => void;
  private running?: Promise<void>;
  private closed = false;

  constructor(private readonly options: ReplayWorkerOptions) {}

  /** Why the history does not replay, or undefined when it does. */
  replay(history: HistoryAndWorkflowId['history'], workflowId: string): Promise<string | undefined> {
    if (this.closed) return Promise.reject(new Error('the replayer is closed'));
    return new Promise((settle) => {
      this.waiting.push({ history, workflowId, settle });
      this.running ??= this.run();
      this.wake?.();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      // Replay workers run their workflows on the main thread unless told otherwise (`debugMode`, for
      // debuggers); there the sandbox's promise hook would tax every promise of the process.
      const options = { ...this.options, debugMode: false } as ReplayWorkerOptions;
      for await (const result of Worker.runReplayHistories(options, this.histories())) this.answer(result);
    } catch (err) {
      // The replay worker itself failed: every replay not yet answered failed with it.
      for (const queued of this.inFlight.splice(0).concat(this.waiting.splice(0)))
        queued.settle(`the replay worker failed: ${String(err)}`);
    } finally {
      this.running = undefined;
      if (this.waiting.length > 0 && !this.closed) this.running = this.run();
    }
  }

  private answer(result: ReplayResult): void {
    const queued = this.inFlight.shift();
    if (!queued) return;
    if (queued.workflowId !== result.workflowId) {
      queued.settle(`the replayer answered for ${result.workflowId} while replaying ${queued.workflowId}`);
      return;
    }
    queued.settle(result.error ? String(result.error) : undefined);
  }

  private async *histories(): AsyncGenerator<HistoryAndWorkflowId> {
    for (;;) {
      const next = this.waiting.shift();
      if (next) {
        this.inFlight.push(next);
        yield { history: next.history, workflowId: next.workflowId };
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * Scale: manual-capture transactions that stay `authorized` (waiting for a capture that does
 * not come), piled up level by level. At each level, once they all wait: the worker processes'
 * memory, and the end-to-end latency of a few new transactions of the measured kind.
 */
import { mapWithConcurrency } from '../../chaos/concurrency';
import { sleep } from '../../chaos/sleep';
import { memory } from '../process-stats';
import { round, summarizeLatency, type LatencySummary } from '../summary-stats';
import type { BenchContext } from './context';

export interface ScaleLevel {
  waiting: number;
  /** Each worker process's resident memory (MiB). */
  workerRssMiB: number[];
  temporalRssMiB: number;
  newTransactionMs: LatencySummary;
  /** How long it took to bring this level's new waiting transactions to `authorized`. */
  fillSeconds: number;
}

export interface ScaleResult {
  levels: ScaleLevel[];
  /** Largest worker's RSS at the top level against level 0. */
  workerRssGrowthPercent: number | null;
  newTransactionP50GrowthPercent: number | null;
}

const START_CONCURRENCY = 16;
const PROBE_CONCURRENCY = 4;

export async function measureScale(ctx: BenchContext): Promise<ScaleResult> {
  const { stack, sizes, workload } = ctx;
  const levels: ScaleLevel[] = [];
  let created = 0;
  for (const target of sizes.scaleLevels) {
    const fillStarted = Date.now();
    const batch = Array.from({ length: target - created }, () => workload.transaction('approved', 'manual', 'wait'));
    await mapWithConcurrency(batch, START_CONCURRENCY, (request) => stack.flow.start(request));
    created = target;
    await waitUntilAuthorized(ctx, target);
    const fillSeconds = round((Date.now() - fillStarted) / 1000);
    const latencies: number[] = [];
    await mapWithConcurrency(Array.from({ length: sizes.scaleProbe }), PROBE_CONCURRENCY, async () => {
      const t0 = Date.now();
      await stack.flow.run(workload.transaction());
      latencies.push(Date.now() - t0);
    });
    // Memory after the probe: at level 0 of a fresh stack a worker that has run nothing yet would be cold.
    await sleep(1000);
    const pids = stack.pids();
    const workerRssMiB = pids.workers.map((pid) => round(memory(pid).rssMiB));
    const level: ScaleLevel = {
      waiting: target,
      workerRssMiB,
      temporalRssMiB: round(memory(pids.temporal[0] ?? 0).rssMiB),
      newTransactionMs: summarizeLatency(latencies),
      fillSeconds,
    };
    levels.push(level);
    ctx.say(
      `scale: ${target} waiting (filled in ${fillSeconds}s): worker RSS ${workerRssMiB.join(' / ')} MiB, new transactions p50 ${level.newTransactionMs.p50} ms`,
    );
  }
  const first = levels[0];
  const last = levels[levels.length - 1];
  const growth = (a: number | null | undefined, b: number | null | undefined) => (a && b != null ? round((b / a - 1) * 100) : null);
  return {
    levels,
    workerRssGrowthPercent: growth(Math.max(...first.workerRssMiB), Math.max(...last.workerRssMiB)),
    newTransactionP50GrowthPercent: growth(first.newTransactionMs.p50, last.newTransactionMs.p50),
  };
}

/** How long the count may stand still before the fill counts as stuck. */
const FILL_STALL_MS = 120_000;

/**
 * Visibility's count of this run's waiting transactions (eventually consistent, so polled). The
 * fill creates transactions faster than a 2-core machine authorizes them, so a fixed deadline
 * failed runs that were still progressing (832 of 1,000 after 120 s): it gives up only when the
 * count stops growing.
 */
async function waitUntilAuthorized(ctx: BenchContext, target: number): Promise<void> {
  const query = `TaskQueue = "${ctx.stack.flowTaskQueue}" AND ExecutionStatus = "Running" AND TransactionStatus = "authorized"`;
  let best = -1;
  let grewAt = Date.now();
  for (;;) {
    const { count } = await ctx.stack.client.workflow.count(query);
    if (count >= target) return;
    if (count > best) [best, grewAt] = [count, Date.now()];
    if (Date.now() - grewAt > FILL_STALL_MS)
      throw new Error(`only ${count} of ${target} transactions reached "authorized" (no progress for ${FILL_STALL_MS / 1000} s)`);
    await sleep(1000);
  }
}

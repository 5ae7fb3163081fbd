/**
 * The price of durability: the same steps without Temporal (see ../baseline.ts), at the flow's
 * half-load rate (latency) and at the flow's best concurrency (throughput).
 */
import { Baseline } from '../baseline';
import { closedLoop, openLoop } from '../load';
import { round, summarizeLatency, type LatencySummary } from '../summary-stats';
import type { BenchContext } from './context';

export interface BaselineResult {
  halfLoad: {
    offeredPerSecond: number;
    completed: number;
    failed: number;
    errors: string[];
    endToEndMs: LatencySummary;
    /** Start -> the authorization's decision known, the span the flow's one-request answer is compared with. */
    decisionMs: LatencySummary;
  };
  throughput: { concurrency: number; perSecond: number; failed: number };
  /** Exact: the activities' queries, counted by a wrapper of the database. */
  databaseStatementsPerTransaction: number | null;
  stepDurationsMs: Map<string, number[]>;
}

export async function measureBaseline(ctx: BenchContext, rate: number, concurrency: number): Promise<BaselineResult> {
  const { stack, sizes, workload } = ctx;
  const baseline = await Baseline.start(stack.services.baseEnv);
  const zuz = stack.services.zuz;
  zuz.setWebhookUrl(baseline.inbox.url);
  try {
    ctx.say(`baseline: open loop at ${round(rate, 2)}/s for ${sizes.openLoopMs / 1000}s`);
    const half = await openLoop(rate, sizes.openLoopMs, () => baseline.run(workload.transaction('pending-approved', 'auto', 'base')));
    const queriesPerTransaction = half.completed ? round(baseline.queries / half.completed, 2) : null;
    const decisionMs = summarizeLatency(baseline.decisionDurations);
    const stepDurationsMs = new Map([...baseline.stepDurations].map(([step, durations]) => [step, [...durations]])); // the half-load calls only
    const full = await closedLoop(concurrency, sizes.closedLoopMs, sizes.warmupMs, () =>
      baseline.run(workload.transaction('pending-approved', 'auto', 'base')),
    );
    ctx.say(
      `baseline: concurrency ${concurrency} -> ${round(full.perSecond, 2)}/s; half load p50 ${summarizeLatency(half.latenciesMs).p50} ms`,
    );
    return {
      halfLoad: {
        offeredPerSecond: round(rate, 2),
        completed: half.completed,
        failed: half.failed,
        errors: half.errors,
        endToEndMs: summarizeLatency(half.latenciesMs),
        decisionMs,
      },
      throughput: { concurrency, perSecond: round(full.perSecond, 2), failed: full.failed },
      databaseStatementsPerTransaction: queriesPerTransaction,
      stepDurationsMs,
    };
  } finally {
    zuz.setWebhookUrl(`${stack.services.apiUrl}/webhooks/zuz`);
    await baseline.close();
  }
}

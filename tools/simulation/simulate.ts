/** One process's share of a simulation: its own time-skipping server, a batch of seeds, one summary per seed. */
import { branchesOf, outcomeOf, reconciliationBranchesOf, refundBranchesOf } from './coverage';
import { startTimeSkippingServer, workflowBundle } from './environment';
import { judge } from './judge';
import { runSeeds } from './runner';

/** What the report needs of a seed (small enough to send between processes). */
export interface SeedSummary {
  seed: number;
  kind: string;
  weather: string;
  outcome: string;
  expected?: string;
  branches: string[];
  violations: Array<{ invariant: string; why: string }>;
  /** The till's requests and their answers, and the webhooks delivered: for a failure's trace. */
  trace: string[];
}

export interface BatchOptions {
  /** Transactions in flight at once in the one environment. */
  concurrency: number;
  onSeed?: (summary: SeedSummary) => void;
}

export async function simulateBatch(seeds: readonly number[], options: BatchOptions): Promise<SeedSummary[]> {
  // One after the other: the JVM's start is timed, and bundling beside it on 2 busy cores can make it miss.
  const env = await startTimeSkippingServer();
  const bundle = await workflowBundle();
  const summaries: SeedSummary[] = [];
  try {
    await runSeeds(env, bundle, seeds, {
      concurrency: options.concurrency,
      onSeed: (run) => {
        const verdict = judge(run);
        const summary: SeedSummary = {
          seed: run.plan.seed,
          kind: run.plan.kind,
          weather: run.plan.weather,
          outcome: outcomeOf(run.view),
          expected: verdict.expected && [verdict.expected.status, verdict.expected.failureCode].filter(Boolean).join('/'),
          branches: [...branchesOf(run.view), ...refundBranchesOf(run), ...reconciliationBranchesOf(run)],
          violations: verdict.violations.map(({ invariant, why }) => ({ invariant, why })),
          trace: [
            `plan ${JSON.stringify(run.plan)}`,
            `steps ${(run.view ?? run.queried)?.steps.map((s) => `${s.name}:${s.branch ?? s.state}`).join(' > ') ?? 'none'}`,
            `published ${run.published.join(' > ')}`,
            ...run.client.map((c) => `client +${c.atMs} ms ${JSON.stringify(c.request)} -> ${c.answer} ${c.status ?? c.detail ?? ''}`),
            ...run.refundAttempts.map((a) => `refund +${a.atMs} ms ${JSON.stringify(a.step)} -> ${a.answer} ${a.status ?? ''}`),
            `refunds ${JSON.stringify(run.recordedRefunds.map((r) => `${r.refundId} ${r.amount} ${r.status}`))}`,
            `webhooks ${JSON.stringify(run.webhooks)}`,
            ...run.reconciliation
              .filter((day) => day.candidate)
              .map(
                (day) =>
                  `reconciliation +${Math.round(day.atMs / 3_600_000)} h ${day.completed ? JSON.stringify(day.found) : `failed: ${day.lastError}`}${day.failedAttempts ? ` (${day.failedAttempts} attempts failed)` : ''}`,
              ),
            `after reconciliation ${JSON.stringify(run.afterReconciliation)}`,
            `calls ${JSON.stringify(Object.fromEntries(run.world.fates))}`,
            `ledger ${JSON.stringify(run.world.settledLedger().map((e) => `${e.kind} ${e.operationId} ${e.amount} ${e.status}`))}`,
            `view ${JSON.stringify({ ...(run.view ?? run.queried), steps: undefined })}`,
          ],
        };
        summaries.push(summary);
        options.onSeed?.(summary);
      },
    });
  } finally {
    await env.teardown();
  }
  return summaries;
}

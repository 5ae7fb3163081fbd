/**
 * The daily reconciliation, run by a Temporal Schedule: every transaction of the period is
 * checked, page by page, against Zuz and its workflow; the activities repair and report. A long
 * period continues as new every few hundred pages, so the history stays small.
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconciledPage } from './activities';

export interface ReconciliationInput {
  /** How far back to look; the default overlaps the previous day's run, so nothing falls between two runs. */
  periodHours?: number;
  /** Set when continuing as new: the run, its period and where the next page starts. */
  resume?: { runId: string; periodStart: string; after: string; checked: number; discrepancies: number };
}

export interface ReconciliationSummary {
  runId: string;
  checked: number;
  discrepancies: number;
}

const { openReconciliationRun, reconcilePage, closeReconciliationRun } = proxyActivities<
  Pick<Activities, 'openReconciliationRun' | 'reconcilePage' | 'closeReconciliationRun'>
>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const PAGES_PER_RUN = 200;

export async function reconcileTransactions(input: ReconciliationInput = {}): Promise<ReconciliationSummary> {
  const periodHours = input.periodHours ?? 48;
  const run = input.resume ?? {
    runId: workflowInfo().workflowId,
    periodStart: new Date(Date.now() - periodHours * 3600_000).toISOString(),
    after: '',
    checked: 0,
    discrepancies: 0,
  };
  if (!input.resume) await openReconciliationRun({ runId: run.runId, periodStart: run.periodStart });

  let after: string | undefined = run.after;
  for (let pages = 0; after !== undefined; pages++) {
    if (pages === PAGES_PER_RUN) return continueAsNew<typeof reconcileTransactions>({ periodHours, resume: { ...run, after } });
    const page: ReconciledPage = await reconcilePage({ runId: run.runId, periodStart: run.periodStart, after });
    run.checked += page.checked;
    run.discrepancies += page.discrepancies;
    after = page.next;
  }
  await closeReconciliationRun({ runId: run.runId, checked: run.checked });
  return { runId: run.runId, checked: run.checked, discrepancies: run.discrepancies };
}

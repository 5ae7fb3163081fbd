/**
 * The run's closing reconciliation: what the daily schedule would do, run once before the checks,
 * so that money moved by late answers (after the flow's deadlines) is put right and the ledger
 * invariant sees the end state a day later.
 */
import { Client, Connection } from '@temporalio/client';
import type { ReconciliationSummary } from '../../src/workflows/reconcile';

export type ClosingReconciliation = ReconciliationSummary | { error: string };

export async function reconcileOnce(temporalAddress: string, taskQueue: string, timeoutMs: number): Promise<ClosingReconciliation> {
  const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 10_000 });
  try {
    const client = new Client({ connection });
    const run = client.workflow.execute('reconcileTransactions', {
      taskQueue,
      workflowId: `chaos-reconciliation-${Date.now()}`,
      args: [{ periodHours: 6 }],
      workflowExecutionTimeout: timeoutMs,
    }) as Promise<ReconciliationSummary>;
    return await run;
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

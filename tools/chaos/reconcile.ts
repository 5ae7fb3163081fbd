/**
 * The run's closing reconciliation: what the daily schedule would do, run once before the checks,
 * so that money moved by late answers (after the flow's deadlines) is put right and the ledger
 * invariant sees the end state a day later.
 */
import type { TemporalConfig } from '../../src/config';
import { connectClient } from '../../src/infrastructure/temporal';
import type { ReconciliationSummary } from '../../src/workflows/reconcile';

export type ClosingReconciliation = ReconciliationSummary | { error: string };

export async function reconcileOnce(temporal: TemporalConfig, taskQueue: string, timeoutMs: number): Promise<ClosingReconciliation> {
  // The service's keys: the summary comes back encrypted by the workers.
  const client = await connectClient(temporal, [], { connectTimeout: 10_000 });
  const connection = client.connection;
  try {
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

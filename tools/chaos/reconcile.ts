/**
 * The run's closing reconciliation: what the daily schedule would do, run once before the checks,
 * so that money moved by late answers (after the flow's deadlines) is put right and the ledger
 * invariant sees the end state a day later.
 */
import type { TemporalConfig } from '../../src/shared/config';
import { connectClient } from '../../src/shared/temporal';
import { Client as PgClient } from 'pg';
import type { ReconciliationSummary } from '../../src/reconciliation/workflow';

/** The run's summary, with what it found by `kind:outcome` (read back from the database). */
export type ClosingReconciliation = (ReconciliationSummary & { found?: Record<string, number> }) | { error: string };

export async function reconcileOnce(
  temporal: TemporalConfig,
  taskQueue: string,
  timeoutMs: number,
  databaseUrl: string,
): Promise<ClosingReconciliation> {
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
    const summary = await run;
    return { ...summary, found: await findingsOf(databaseUrl, summary.runId) };
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function findingsOf(databaseUrl: string, runId: string): Promise<Record<string, number>> {
  const client = new PgClient({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ found: string; n: string }>(
      `SELECT kind || ':' || outcome AS found, count(*) AS n FROM reconciliation_discrepancies WHERE run_id = $1 GROUP BY 1 ORDER BY 1`,
      [runId],
    );
    return Object.fromEntries(rows.map((row) => [row.found, Number(row.n)]));
  } finally {
    await client.end().catch(() => undefined);
  }
}

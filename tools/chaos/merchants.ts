/**
 * merchants-isolated, through the API as a merchant would try it: another merchant's key asks
 * for every transaction of the run by id (each must be as unknown as one never made: 404), lists
 * its own transactions (none of the run's may appear) and reads the reconciliation's report (none
 * of the run's findings may appear). The run's transactions are all the first merchant's.
 */
import type { InvariantResult, Violation } from '../invariants/types';
import type { ApiAnswer, ApiClient } from './api-client';

type ListPage = { transactions?: Array<{ transactionId: string }>; nextCursor?: string };
import type { Evidence } from './evidence';
import { mapWithConcurrency } from './concurrency';

export async function checkMerchantsIsolated(evidence: readonly Evidence[], other: ApiClient, giveUpAt: number): Promise<InvariantResult> {
  const violations: Violation[] = [];
  const ours = new Set(evidence.filter((item) => item.run.startedAt !== undefined).map((item) => item.run.plan.transactionId));
  const call = { giveUpAt };
  await mapWithConcurrency([...ours], 8, async (transactionId) => {
    for (const route of [`/v1/transactions/${transactionId}`, `/v1/transactions/${transactionId}/refunds`]) {
      const get = route.endsWith('/refunds')
        ? await other.call('POST', route, { refundId: 'probe', amount: 1, reason: 'isolation probe' }, call)
        : await other.call('GET', route, undefined, call);
      if (get.status !== 404)
        violations.push({
          transactionId,
          why: `another merchant's ${route.endsWith('/refunds') ? 'refund' : 'read'} answered ${get.status}`,
        });
    }
  });
  for (let cursor: string | undefined = '', pages = 0; cursor !== undefined && pages < 50; pages++) {
    const list: ApiAnswer<ListPage> = await other.call<ListPage>(
      'GET',
      `/v1/transactions?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      undefined,
      call,
    );
    for (const listed of list.body.transactions ?? [])
      if (ours.has(listed.transactionId)) violations.push({ transactionId: listed.transactionId, why: "listed to another merchant's key" });
    cursor = list.body.nextCursor;
  }
  const report = await other.call<{ runs: Array<{ discrepancies: Array<{ transactionId: string }> }> }>(
    'GET',
    '/v1/reconciliation/runs?limit=50',
    undefined,
    call,
  );
  for (const run of report.body.runs ?? [])
    for (const found of run.discrepancies)
      if (ours.has(found.transactionId))
        violations.push({ transactionId: found.transactionId, why: "a finding shown to another merchant's key" });
  return {
    name: 'merchants-isolated',
    description: "no answer to another merchant's key names, reads or refunds this merchant's transactions (by id, list or report)",
    violations,
    notes: { probedTransactions: ours.size },
  };
}

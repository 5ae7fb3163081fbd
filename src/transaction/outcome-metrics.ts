/**
 * The outcome counters, counted by the finalize step when it writes the outcome into the record:
 * once per transaction, whatever the workflow task that follows does. (Counted in the workflow,
 * a completion the server refused because a webhook came meanwhile ran the task again and counted
 * again: test/metrics.test.ts saw a failed capture counted twice with eager activity dispatch on.)
 * Exported on the worker's Prometheus endpoint with the flow's own metrics (workflow/metrics.ts):
 *   pos_transactions_finished_total{status,failure_code}
 *   pos_releases_total{outcome}, pos_release_failed_total
 */
import type { MetricMeter } from '@temporalio/common';
import type { TransactionView } from './model';

export function countOutcome(meter: MetricMeter, view: Omit<TransactionView, 'steps'>): void {
  meter
    .createCounter('pos_transactions_finished', '1', 'Finished transactions by terminal status and failure code')
    .add(1, { status: view.status, failure_code: view.failure?.code ?? 'none' });
  if (view.release) {
    // `release_pending`: Zuz took the void but had not finished it; the daily reconciliation follows it up.
    meter
      .createCounter('pos_releases', '1', 'Held money the flow released (voided) at Zuz, by how the release ended')
      .add(1, { outcome: view.release });
  }
  if (view.release === 'release_failed') {
    // Money stays held at Zuz until the authorization expires: alert on any increase.
    meter.createCounter('pos_release_failed', '1', 'Transactions whose held money Zuz would not release').add(1);
  }
}

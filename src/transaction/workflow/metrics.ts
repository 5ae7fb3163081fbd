/**
 * The flow's own metrics, emitted through the SDK's replay-aware meter (nothing is counted
 * twice when a worker replays a history), and exported on the worker's Prometheus endpoint.
 * Named by Prometheus's conventions, as the worker's runtime exports them (src/worker.ts):
 * counters get `_total`, the histogram's unit (seconds) is appended to its name.
 *   pos_transactions_finished_total{status,failure_code}
 *   pos_step_duration_seconds{step,state} (histogram)
 *   pos_releases_total{outcome}, pos_release_failed_total
 * deploy/grafana/pos-payments.json reads them; test/metrics.test.ts checks the names.
 */
import { metricMeter } from '@temporalio/workflow';
import type { StepRecord, TransactionView } from '../model';

export function recordStep(step: StepRecord, durationMs: number): void {
  metricMeter
    .createHistogram('pos_step_duration', 'float', 'seconds', 'How long each step of the flow took (workflow time)')
    .record(durationMs / 1000, { step: step.name, state: step.state });
}

export function recordOutcome(view: TransactionView): void {
  metricMeter
    .createCounter('pos_transactions_finished', '1', 'Finished transactions by terminal status and failure code')
    .add(1, { status: view.status, failure_code: view.failure?.code ?? 'none' });
  if (view.release) {
    // `release_pending`: Zuz took the void but had not finished it; the daily reconciliation follows it up.
    metricMeter
      .createCounter('pos_releases', '1', 'Held money the flow released (voided) at Zuz, by how the release ended')
      .add(1, { outcome: view.release });
  }
  if (view.release === 'release_failed') {
    // Money stays held at Zuz until the authorization expires: alert on any increase.
    metricMeter.createCounter('pos_release_failed', '1', 'Transactions whose held money Zuz would not release').add(1);
  }
}

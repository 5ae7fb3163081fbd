/**
 * The flow's own metrics, emitted through the SDK's replay-aware meter (nothing is counted
 * twice when a worker replays a history), and exported on the worker's Prometheus endpoint.
 */
import { metricMeter } from '@temporalio/workflow';
import type { StepRecord, TransactionView } from '../domain/transaction';

export function recordStep(step: StepRecord, durationMs: number): void {
  metricMeter
    .createHistogram('pos_step_duration', 'int', 'ms', 'How long each step of the flow took (workflow time)')
    .record(durationMs, { step: step.name, state: step.state });
}

export function recordOutcome(view: TransactionView): void {
  metricMeter
    .createCounter('pos_transactions_finished', '1', 'Finished transactions by terminal status and failure code')
    .add(1, { status: view.status, failure_code: view.failure?.code ?? 'none' });
  if (view.release === 'release_failed') {
    // Money stays held at Zuz until the authorization expires: alert on any increase.
    metricMeter.createCounter('pos_release_failed', '1', 'Transactions whose held money Zuz would not release').add(1);
  }
}

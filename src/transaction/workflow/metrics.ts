/**
 * The flow's step durations, emitted through the SDK's replay-aware meter (nothing is counted
 * twice when a worker replays a history), and exported on the worker's Prometheus endpoint.
 * Named by Prometheus's conventions, as the worker's runtime exports them (src/worker.ts):
 * counters get `_total`, the histogram's unit (seconds) is appended to its name.
 *   pos_step_duration_seconds{step,state} (histogram)
 * The outcome counters are the finalize step's (../outcome-metrics.ts): counted once per transaction.
 * deploy/grafana/pos-payments.json reads them; test/metrics.test.ts checks the names.
 */
import { metricMeter } from '@temporalio/workflow';
import type { StepRecord } from '../model';

export function recordStep(step: StepRecord, durationMs: number): void {
  metricMeter
    .createHistogram('pos_step_duration', 'float', 'seconds', 'How long each step of the flow took (workflow time)')
    .record(durationMs / 1000, { step: step.name, state: step.state });
}

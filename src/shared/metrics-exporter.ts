/**
 * The worker's Prometheus endpoint: the SDK's own metrics (task latencies, slots, polls...) and
 * the flow's, named by Prometheus's conventions, as Temporal's SDK dashboard for them queries them
 * (temporalio/dashboards sdk/temporal-go-java-sdks-tally.json): counters end in `_total`,
 * durations are in seconds and say so (`temporal_workflow_completed_total`,
 * `temporal_activity_execution_latency_seconds_bucket`, `pos_step_duration_seconds_bucket`).
 * deploy/grafana/pos-payments.json reads these names; test/metrics.test.ts holds them to it.
 * One definition for every process that installs a worker runtime (the worker, `npm start`).
 */
import type { TelemetryOptions } from '@temporalio/worker';

export function prometheusTelemetry(bindAddress: string): TelemetryOptions {
  return {
    metrics: {
      prometheus: {
        bindAddress,
        countersTotalSuffix: true,
        unitSuffix: true,
        useSecondsForDurations: true,
        // A step lasts from milliseconds (a database write) to a day (a capture Zuz settles late).
        histogramBucketOverrides: {
          pos_step_duration: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
        },
      },
    },
  };
}

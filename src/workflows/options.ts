/**
 * Every duration the flow waits for, as options with safe production defaults. Tests and
 * benchmarks shorten them through the workflow's input; nothing in the flow is a literal.
 */
import type { Duration } from '@temporalio/common';

export interface FlowOptions {
  /** How long to wait for Zuz's webhook before starting to poll. */
  webhookGracePeriod: Duration;
  /** First and longest pause between two polls; the pause doubles in between. */
  pollInitialInterval: Duration;
  pollMaxInterval: Duration;
  /** Give up on a pending authorization after this long (the transaction fails, nothing is charged). */
  authorizationDeadline: Duration;
  /** A pending capture can take a day at Zuz; after this long its fate is read once more and decided. */
  captureDeadline: Duration;
  /** How long a manual-capture authorization waits for the capture request before it is voided. */
  authorizationExpiry: Duration;
}

export const defaultFlowOptions: FlowOptions = {
  webhookGracePeriod: '30 seconds',
  pollInitialInterval: '15 seconds',
  pollMaxInterval: '30 minutes',
  authorizationDeadline: '2 hours',
  captureDeadline: '3 days',
  authorizationExpiry: '7 days',
};

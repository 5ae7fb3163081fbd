/**
 * Every duration the flow waits for, as options with safe production defaults. Tests and
 * benchmarks shorten them through the workflow's input; nothing in the flow is a literal.
 */
import type { Duration, RetryPolicy } from '@temporalio/common';

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
  /** A pending refund can take days at Zuz; after this long it stays pending (its amount reserved) and an operator is alerted. */
  refundDeadline: Duration;
  /** Timeouts and retries of each kind of step. */
  steps: StepPolicies;
}

export interface StepPolicy {
  /** Also how soon a step lost with a crashed worker is run again elsewhere. */
  startToCloseTimeout: Duration;
  retry: RetryPolicy;
}

export interface StepPolicies {
  /** Database steps: short, and retried for as long as it takes — a database outage must not fail a payment. */
  database: StepPolicy;
  /**
   * Calls that create something at Zuz. Safe to retry (idempotency keys), but bounded: after the
   * last attempt the flow decides (fails the transaction, or reads the payment's state).
   */
  zuzCommands: StepPolicy;
  /**
   * Calls that must eventually go through, so their retries never give up: a void (an open
   * authorization holds the customer's money) and the read that settles a capture of unknown fate.
   */
  zuzPersistent: StepPolicy;
  /** A poll is cheap and repeated by the flow itself, so each one retries only briefly. */
  zuzQueries: StepPolicy;
}

export const defaultFlowOptions: FlowOptions = {
  webhookGracePeriod: '30 seconds',
  pollInitialInterval: '15 seconds',
  pollMaxInterval: '30 minutes',
  authorizationDeadline: '2 hours',
  captureDeadline: '3 days',
  authorizationExpiry: '7 days',
  refundDeadline: '14 days',
  steps: {
    database: {
      startToCloseTimeout: '10 seconds',
      retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
    },
    zuzCommands: {
      startToCloseTimeout: '30 seconds',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
    },
    zuzPersistent: {
      startToCloseTimeout: '30 seconds',
      // Capped at a minute: held money is released within a minute of Zuz coming back.
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
    zuzQueries: {
      startToCloseTimeout: '15 seconds',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
    },
  },
};

/** The defaults with a caller's overrides (each step policy is replaced whole). */
export function flowOptions(overrides: FlowOverrides = {}): FlowOptions {
  return { ...defaultFlowOptions, ...overrides, steps: { ...defaultFlowOptions.steps, ...overrides.steps } };
}

export type FlowOverrides = Partial<Omit<FlowOptions, 'steps'>> & { steps?: Partial<StepPolicies> };

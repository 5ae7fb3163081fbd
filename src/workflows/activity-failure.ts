/** Reading why a step failed: the one place workflow code looks inside an activity's failure. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/**
 * The activity's own failure when it failed with a business failure of one of these types (an
 * `ApplicationFailure` the activity threw: a refusal, a verdict); undefined for any other failure
 * (a timeout, a retryable error that ran out of attempts, a cancellation).
 */
export function activityFailedWith(err: unknown, ...types: string[]): ApplicationFailure | undefined {
  // An activity's failure comes wrapped in an ActivityFailure; a local activity's arrives as the
  // activity threw it (SDK core wraps only its timeouts and cancellations).
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type !== undefined && cause.type !== null && types.includes(cause.type)
    ? cause
    : undefined;
}

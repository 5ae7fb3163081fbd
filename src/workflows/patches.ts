/**
 * The flow's patches: changes made while transactions were running. Each is `patched(id)` on
 * the new path, so executions that started before the change replay (and finish) on the old
 * path. Their life cycle — patch, deploy, wait for old runs, deprecatePatch, remove — is in
 * docs/versioning.md.
 */
import { patched } from '@temporalio/workflow';

/** v2: risk screening between assignAccountId and createAuthorization. */
export const RISK_SCREENING_PATCH = 'risk-screening';

export function riskScreeningApplies(): boolean {
  return patched(RISK_SCREENING_PATCH);
}

/** v2.1: a capture that never reached Zuz (all attempts failed, and Zuz shows none) releases the authorization. */
export const VOID_WHEN_CAPTURE_NEVER_ARRIVED_PATCH = 'void-when-capture-never-arrived';

export function voidWhenCaptureNeverArrived(): boolean {
  return patched(VOID_WHEN_CAPTURE_NEVER_ARRIVED_PATCH);
}

/**
 * v3: no money stays held after the flow gives up on an authorization. The payment is opened in
 * its own step (so its id is known even if the authorization's answer is lost); an authorization
 * whose answer never came is read back and voided if Zuz approved it; a void that Zuz refuses is
 * settled from the payment's state instead of failing the workflow.
 */
export const RELEASE_UNANSWERED_AUTHORIZATIONS_PATCH = 'release-unanswered-authorizations';

export function releaseUnansweredAuthorizations(): boolean {
  return patched(RELEASE_UNANSWERED_AUTHORIZATIONS_PATCH);
}

/**
 * v4: a terminal status is published only once the money's fate is settled. After a failed or
 * lost capture the transaction is `releasing` while the void runs; if the void reveals that the
 * capture landed after all, the transaction succeeds (before, `failed` was published first and
 * then flipped to `succeeded`).
 */
export const SETTLE_BEFORE_FINAL_STATUS_PATCH = 'settle-before-final-status';

export function settleBeforeFinalStatus(): boolean {
  return patched(SETTLE_BEFORE_FINAL_STATUS_PATCH);
}

/**
 * v4: whenever the payment is open and the authorization step fails for good, for any reason
 * (not only when Zuz was unreachable: a later attempt may have been refused after an earlier
 * one was approved), the payment is read and an approved authorization voided.
 */
export const READ_FATE_ON_ANY_AUTHORIZATION_FAILURE_PATCH = 'read-fate-on-any-authorization-failure';

export function readFateOnAnyAuthorizationFailure(): boolean {
  return patched(READ_FATE_ON_ANY_AUTHORIZATION_FAILURE_PATCH);
}

/**
 * v5: a void Zuz refuses while its read of the payment shows no reason (no void, no capture) is
 * not given up at once: a read can lag behind Zuz's ledger, and the likeliest hidden reason is a
 * capture whose answers were all lost. The payment is read again, with growing pauses, until the
 * reason shows or the capture deadline passes (found by the deterministic simulation, seeds 21 and 91).
 */
export const REREAD_UNEXPLAINED_VOID_REFUSALS_PATCH = 'reread-unexplained-void-refusals';

export function rereadUnexplainedVoidRefusals(): boolean {
  return patched(REREAD_UNEXPLAINED_VOID_REFUSALS_PATCH);
}

/**
 * v6: when the flow gives up on an authorization, a read of the payment that does not show an
 * authorization Zuz gave an id to is not taken as "none was held": that read lags behind Zuz's
 * ledger. The payment is read again, with growing pauses, until the authorization shows or it
 * would have expired at Zuz (found by the deterministic simulation, seed 2007: the authorization
 * stayed held).
 */
export const REREAD_MISSING_KNOWN_AUTHORIZATION_PATCH = 'reread-missing-known-authorization';

export function rereadMissingKnownAuthorization(): boolean {
  return patched(REREAD_MISSING_KNOWN_AUTHORIZATION_PATCH);
}

/**
 * v7: when every answer to the authorization request was lost (Zuz may have acted on one) and the
 * read of the payment shows no authorization, that read is not taken as "none was held" either:
 * it can lag behind Zuz's ledger, and the flow knows no id to look for. An authorization a
 * webhook reported on the payment is taken as found; otherwise the payment is read again, with
 * growing pauses, for one longest polling interval (the time the flow's polling already allows a
 * read to catch up). Only when the step failed for lost answers (provider_unavailable), not on a
 * refusal such as an unknown card (found by the deterministic simulation, seeds 783, 1058 and 1289: the authorization stayed held).
 */
export const REREAD_AFTER_LOST_AUTHORIZATION_ANSWERS_PATCH = 'reread-after-lost-authorization-answers';

export function rereadAfterLostAuthorizationAnswers(): boolean {
  return patched(REREAD_AFTER_LOST_AUTHORIZATION_ANSWERS_PATCH);
}

/**
 * v8: the database steps before Zuz is asked (record, assign the account, screen) run as local
 * activities, in the workflow's own task on the worker that runs it, instead of going through the
 * task queue: about 6 ms of engine time per step instead of 17 on this machine, and fewer history
 * events (docs/BENCHMARKS.md). Decided once, when the transaction starts, so a transaction that
 * started on v7 keeps ordinary activities for all its steps. The last step stays an activity
 * (activities.ts says why).
 */
export const DATABASE_STEPS_AS_LOCAL_ACTIVITIES_PATCH = 'database-steps-as-local-activities';

export function databaseStepsRunLocally(): boolean {
  return patched(DATABASE_STEPS_AS_LOCAL_ACTIVITIES_PATCH);
}

/**
 * v9: the merchant is told when Zuz approves the authorization (`transaction.authorized`, issue
 * 33): a step, `noteAuthorized`, writes the authorization into the record with the event, started
 * beside the capture (never in its way) and awaited before the outcome is recorded, so the
 * authorized event always precedes the terminal one. A transaction that reached its authorization's
 * answer before v9 goes on without it.
 */
export const TELL_MERCHANT_OF_AUTHORIZATION_PATCH = 'tell-merchant-of-authorization';

export function merchantIsToldOfAuthorization(): boolean {
  return patched(TELL_MERCHANT_OF_AUTHORIZATION_PATCH);
}

/**
 * v10: the two requests to Zuz before the till hears (open the payment, ask for the authorization)
 * run as local activities, in the workflow's own task, like the database steps since v8: each
 * saved two workflow tasks and a trip through the task queue (docs/BENCHMARKS.md). Money: both
 * carry idempotency keys derived from the transaction (src/zuz/activities.ts), so a local retry,
 * or a run of the step again by another worker after this one died mid-call (its marker never
 * written), is the same request to Zuz: the same payment, the same authorization. Decided once,
 * when the transaction starts (decideOpeningPatchesFirst), so a transaction that started before
 * v10 asks Zuz through ordinary activities.
 */
export const ZUZ_REQUESTS_AS_LOCAL_ACTIVITIES_PATCH = 'zuz-requests-as-local-activities';

export function zuzRequestsRunLocally(): boolean {
  return patched(ZUZ_REQUESTS_AS_LOCAL_ACTIVITIES_PATCH);
}

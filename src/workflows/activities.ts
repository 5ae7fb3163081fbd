/**
 * The steps' activity stubs, one per retry/timeout profile: each kind of step retries in its own
 * way, and its short start-to-close timeout is how long a step is held by one worker (a crashed
 * worker's step is picked up again by another soon after). The profiles themselves are flow
 * options (see options.ts).
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StepPolicies, StepPolicy } from './options';
import {
  databaseStepsRunLocally,
  merchantIsToldOfAuthorization,
  readFateOnAnyAuthorizationFailure,
  releaseUnansweredAuthorizations,
  riskScreeningApplies,
  zuzRequestsRunLocally,
} from './patches';

export function stepActivities(policies: StepPolicies) {
  return {
    /**
     * The last step of each workflow: always an ordinary activity (see databaseSteps); and the note
     * of an authorization, an ordinary activity too (src/transaction/workflow/tell-merchant.ts says why).
     */
    database: proxyActivities<Pick<Activities, 'finalizeTransaction' | 'finalizeRefund' | 'noteAuthorized'>>(policies.database),
    zuzCommands: proxyActivities<Pick<Activities, 'capturePayment'>>(policies.zuzCommands),
    zuzPersistent: proxyActivities<Pick<Activities, 'voidAuthorization' | 'readPaymentState' | 'requestRefund'>>(policies.zuzPersistent),
    zuzQueries: proxyActivities<Pick<Activities, 'readPaymentState'>>(policies.zuzQueries),
  };
}

type OpeningSteps = Pick<Activities, 'recordTransaction' | 'assignAccountId' | 'screenTransaction'>;
export type DatabaseSteps = OpeningSteps & Pick<Activities, 'finalizeTransaction'>;

/**
 * The transaction's database steps. Call once, at the start of the run. Since v8 the steps before
 * Zuz is asked (record, assign the account, screen) are local activities: short, idempotent calls
 * to our own database, run by the worker that runs the workflow with the same timeout and
 * retries, so the till's answer waits for no trip through the task queue. A run that started
 * before v8 keeps ordinary activities to its end.
 *
 * The last step stays an ordinary activity: the workflow task after it completes the workflow;
 * run inside that task, the step would hold it open while a webhook can arrive, the server would
 * then refuse the completion, and the task, its local step with it, would run again. (The outcome
 * is counted by the step itself, once: src/transaction/outcome-metrics.ts.)
 */
export function databaseSteps(policy: StepPolicy): DatabaseSteps {
  const local = databaseStepsRunLocally();
  if (local) decideOpeningPatchesFirst();
  const opening = local ? proxyLocalActivities<OpeningSteps>(policy) : proxyActivities<OpeningSteps>(policy);
  return {
    recordTransaction: opening.recordTransaction,
    assignAccountId: opening.assignAccountId,
    screenTransaction: opening.screenTransaction,
    finalizeTransaction: proxyActivities<Pick<Activities, 'finalizeTransaction'>>(policy).finalizeTransaction,
  };
}

/**
 * Decides, before the first local activity, the patches the opening consults between its local
 * activities and its first ordinary one (risk screening; the payment in its own step). Replaying,
 * `patched()` sees only the markers of the workflow task being replayed, and the local activities'
 * markers can be spread over several tasks (the SDK completes a task early while they run: past
 * 80 % of the task's timeout, and at once when a query came with the task, as the till's GET does
 * when it arrives before a worker picks the task up): a patch decided after them can land in a
 * later task than the one replay is in, and replay fails ("patch marker encountered for change risk-screening, but there is no corresponding change
 * command"). Decided here, their markers come first, in the task that starts the run, wherever the
 * task is split (test/local-activities.test.ts splits it after each command in turn). Later calls
 * of the same patches answer the same and write nothing.
 */
function decideOpeningPatchesFirst(): void {
  riskScreeningApplies();
  releaseUnansweredAuthorizations();
}

export type ZuzRequests = Pick<Activities, 'createPayment' | 'createAuthorization'>;

/**
 * The requests to Zuz before the till hears (open the payment, ask for the authorization), with the
 * Zuz commands' timeout and retries. Call once, at the start of the run, with databaseSteps: since
 * v10 they are local activities (patches.ts says why a retry of either is safe for the money), and
 * deciding it here writes the patch's marker before any local activity runs (see
 * decideOpeningPatchesFirst). A run that started before v10 keeps ordinary activities.
 */
export function zuzRequestSteps(policy: StepPolicy): ZuzRequestStubs {
  const local = zuzRequestsRunLocally();
  if (local) decideAuthorizationPatchesFirst();
  // Past the first retry's second, the pause before the next attempt is a server timer, not a wait
  // inside the worker: durable if the worker dies, and skipped by the simulation's test server.
  return local ? proxyLocalActivities<ZuzRequests>({ ...policy, localRetryThreshold: '1 second' }) : proxyActivities<ZuzRequests>(policy);
}

/**
 * With the requests to Zuz local too, the opening's task can run on past them, to Zuz's answer:
 * the patches consulted there before the next ordinary step (whether to read the payment's fate
 * after a failed request; telling the merchant of an authorization Zuz approved at once) are
 * decided first, for the reason decideOpeningPatchesFirst gives. The patches consulted later
 * (capture, release) come after an ordinary activity's result, in a task of their own.
 */
function decideAuthorizationPatchesFirst(): void {
  readFateOnAnyAuthorizationFailure();
  merchantIsToldOfAuthorization();
}

export type ZuzRequestStubs = ReturnType<typeof proxyLocalActivities<ZuzRequests>> | ReturnType<typeof proxyActivities<ZuzRequests>>;

/**
 * `POST /v1/transactions`, the till's one request: claim the id in the record (the record, not
 * Temporal, says whether an id was ever accepted), start the workflow at most once per id, and
 * answer at once or, with `Prefer: wait=N`, with the authorization's decision.
 */
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { RequestHandler } from 'express';
import { formatMoney, workflowIdFor, type TransactionRequest, type TransactionView } from './model';
import { requestFingerprint } from './request-fingerprint';
import { customerIdKey, merchantIdKey, transactionAmountKey, transactionStatusKey } from './search-attributes';
import { transactionKey } from '../merchants/model';
import { merchantOf } from '../api/auth';
import { decisionUpdate, MAX_DECISION_WAIT_SECONDS } from './workflow/messages';
import type { ProcessTransactionInput } from './workflow/process-transaction';
import { ApiError, validationError } from '../api/errors';
import { requestIdOf } from '../api/request-id';
import { createTransactionSchema } from '../api/schemas';
import type { CustomerSearchValue } from './list';
import type { TransactionRecords } from './record';
import { currentView, decisionOf, withinWait, type RecordedView } from './lookup';

/** What starting a transaction needs. */
export interface TransactionStartOptions {
  client: Client;
  records: TransactionRecords;
  taskQueue: string;
  /** Flow options for every new transaction (tests shorten the waits); production leaves the defaults. */
  flowOptions?: ProcessTransactionInput['options'];
  /** What the CustomerId search attribute holds: the id, or its keyed pseudonym when payloads are encrypted. */
  customerSearchValue: CustomerSearchValue;
}

/** The handler of `POST /v1/transactions`. */
export function createTransaction({
  client,
  records,
  taskQueue,
  flowOptions,
  customerSearchValue,
}: TransactionStartOptions): RequestHandler {
  return async (req, res) => {
    const parsed = createTransactionSchema.safeParse(req.body);
    if (!parsed.success) throw validationError(parsed.error);
    const merchantId = merchantOf(res);
    const request: TransactionRequest = { ...parsed.data, merchantId };
    const key = transactionKey(merchantId, request.transactionId);
    const fingerprint = requestFingerprint(request);
    // The record, not Temporal, says whether this id was ever accepted: Temporal forgets closed runs.
    // It keeps the request that first claimed the id: the events the transaction causes carry its id.
    const claim = await records.claim(request, fingerprint, requestIdOf(res));
    if (claim.kind === 'known' && claim.fingerprint !== fingerprint) throw conflictOver(request);
    const waitSeconds = preferredWait(req.header('prefer'));
    if (waitSeconds) res.setHeader('preference-applied', `wait=${waitSeconds}`);
    if (claim.kind === 'known' && claim.runId) {
      res.status(200).json(waitSeconds ? await decisionOf(client, records, key, waitSeconds) : await currentView(client, records, key));
      return;
    }
    // New, or recorded by an earlier call that may not have reached Temporal: start (at most once per id).
    const startedBy = claim.kind === 'known' ? (claim.requestId ?? requestIdOf(res)) : requestIdOf(res);
    const start = workflowStartOf(request, { merchantId, fingerprint, startedBy, taskQueue, flowOptions, customerSearchValue });
    const attempt: StartAttempt = { client, records, request, key, isNew: claim.kind === 'new', waitSeconds };
    try {
      const { status, view } = await startAndWait(attempt, start);
      res.status(status).json(view);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        // Temporal did not take it (or did not say): forget the claim, so the request changes nothing.
        // Had the start gone through after all, the workflow's first step records the transaction again.
        if (attempt.isNew) await records.unclaim(key).catch(() => undefined);
        throw err;
      }
      const { status, view } = await answerAlreadyStarted(attempt, fingerprint);
      res.status(status).json(view);
    }
  };
}

/** A start of a transaction's workflow by one POST: what the answer needs to know. */
interface StartAttempt {
  client: Client;
  records: TransactionRecords;
  request: TransactionRequest;
  key: string;
  /** Whether this call claimed the id (a repeat of an earlier call's claim is not new). */
  isNew: boolean;
  waitSeconds: number | undefined;
}

interface PostAnswer {
  status: number;
  view: TransactionView | RecordedView;
}

function conflictOver(request: TransactionRequest): ApiError {
  return new ApiError(409, 'transaction_conflict', `Transaction ${request.transactionId} exists with a different request`);
}

/** The workflow's start: its id, input, what the Web UI shows at a glance, its memo and search attributes. */
function workflowStartOf(
  request: TransactionRequest,
  context: {
    merchantId: string;
    fingerprint: string;
    startedBy: string | undefined;
    taskQueue: string;
    flowOptions: TransactionStartOptions['flowOptions'];
    customerSearchValue: CustomerSearchValue;
  },
) {
  const { merchantId } = context;
  return {
    workflowId: workflowIdFor(transactionKey(merchantId, request.transactionId)),
    taskQueue: context.taskQueue,
    args: [{ request, options: context.flowOptions } satisfies ProcessTransactionInput],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    staticSummary: `${formatMoney(request.amount, request.currency)} from ${request.customerId}, ${request.capture} capture`,
    memo: {
      transactionId: request.transactionId,
      merchantId,
      fingerprint: context.fingerprint,
      customerId: request.customerId,
      amount: request.amount,
      currency: request.currency,
      // The request that started it (the one the record keeps), as its events carry it.
      ...(context.startedBy && { requestId: context.startedBy }),
    },
    typedSearchAttributes: [
      { key: transactionStatusKey, value: 'processing' },
      { key: customerIdKey, value: context.customerSearchValue(merchantId, request.customerId) },
      { key: transactionAmountKey, value: request.amount },
      { key: merchantIdKey, value: merchantId },
    ],
  } satisfies WorkflowStartOptions;
}

/**
 * Starts the workflow and, with `Prefer: wait`, waits for the decision. Once Temporal has taken
 * the start the transaction is accepted: nothing after it (binding the run, the wait) may fail
 * the request or throw, since the caller withdraws the claim on a throw.
 */
async function startAndWait(attempt: StartAttempt, start: ReturnType<typeof workflowStartOf>): Promise<PostAnswer> {
  const { client, records, request, key, isNew, waitSeconds } = attempt;
  // A claim an earlier call made may already have its workflow: that one starts plainly (and meets
  // the already-started answer); update-with-start is for a transaction new here.
  if (!waitSeconds || !isNew) {
    const handle = await client.workflow.start('processTransaction', start);
    // Binding here only spares the workflow's first step the work: that step binds its run all the same.
    await records.bindRun(key, handle.firstExecutionRunId).catch(() => false);
    const view = waitSeconds ? await decisionOf(client, records, key, waitSeconds).catch(() => undefined) : undefined;
    return { status: isNew ? 202 : 200, view: view ?? acceptedView(request) };
  }
  // The start and the wait for the decision in one call to Temporal (update-with-start).
  const starting = new WithStartWorkflowOperation('processTransaction', start);
  const updating = client.workflow
    .executeUpdateWithStart(decisionUpdate, { args: [{ waitSeconds }], startWorkflowOperation: starting })
    .catch(async () => {
      // The wait failed: if the start went through, the transaction is accepted all the same
      // (202, as without the header), whatever the wait met, an outage included; if the start
      // failed (or Temporal never answered it), its own error decides the answer.
      const startError = await starting.workflowHandle().then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e : new Error('The workflow could not be started')),
      );
      if (startError) throw startError;
      return undefined;
    });
  // Past the wait with no answer (the workflow's first task still running: Zuz slow to answer), the
  // transaction is accepted once Temporal has its workflow; until that is known the call waits on.
  const answered = await withinWait(updating, waitSeconds);
  const view = answered.settled ? answered.value : (await startedWith(client, key, start)) ? undefined : await updating;
  // No bindRun here: the handle does not carry the run id, and the workflow's first step binds its own run.
  return { status: view && view.status !== 'processing' ? 201 : 202, view: view ?? acceptedView(request) };
}

/** Whether Temporal has this transaction's workflow, started with this request (its memo's fingerprint). */
async function startedWith(client: Client, key: string, start: ReturnType<typeof workflowStartOf>): Promise<boolean> {
  try {
    const { memo } = await client.workflow.getHandle(workflowIdFor(key)).describe();
    return memo?.fingerprint === start.memo.fingerprint;
  } catch {
    return false;
  }
}

/**
 * An earlier call started it (its claim withdrawn when its start looked failed, say): the
 * workflow's memo says with which request. The same one is a harmless repeat; another is a conflict.
 */
async function answerAlreadyStarted(attempt: StartAttempt, fingerprint: string): Promise<PostAnswer> {
  const { client, records, request, key, isNew, waitSeconds } = attempt;
  const { memo } = await client.workflow.getHandle(workflowIdFor(key)).describe();
  if (memo?.fingerprint !== fingerprint) {
    if (isNew) await records.unclaim(key);
    throw conflictOver(request);
  }
  if (isNew) {
    // This call claimed the id first; a concurrent repeat of it (which saw the claim before this
    // call's start reached Temporal) started the workflow. This call answers as the one that created it.
    // The workflow exists, so the transaction is accepted whatever the wait meets (202, as without the header).
    const view = waitSeconds ? await decisionOf(client, records, key, waitSeconds).catch(() => undefined) : undefined;
    return { status: view && view.status !== 'processing' ? 201 : 202, view: view ?? acceptedView(request) };
  }
  return {
    status: 200,
    view: waitSeconds ? await decisionOf(client, records, key, waitSeconds) : await currentView(client, records, key),
  };
}

/**
 * `Prefer: wait=N` (RFC 7240): how long the client will wait for the authorization's decision,
 * at most 30 s. A preference, not a demand: one the API cannot read is ignored, as the RFC says.
 */
function preferredWait(prefer: string | undefined): number | undefined {
  const match = /(?:^|[,;\s])wait=(\d{1,6})(?:$|[,;\s])/i.exec(prefer ?? '');
  const seconds = match ? Number(match[1]) : 0;
  return seconds > 0 ? Math.min(seconds, MAX_DECISION_WAIT_SECONDS) : undefined;
}

function acceptedView(request: TransactionRequest): TransactionView {
  return {
    transactionId: request.transactionId,
    merchantId: request.merchantId,
    customerId: request.customerId,
    status: 'processing',
    amount: request.amount,
    currency: request.currency,
    capture: request.capture,
    authorizedAmount: 0,
    capturedAmount: 0,
    zuz: {},
    steps: [],
  };
}

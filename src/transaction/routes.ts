/**
 * /v1/transactions: a thin HTTP layer over the transaction workflows and their record. The record
 * (database) decides whether an id was ever accepted, so a workflow starts at most once per
 * transaction id for ever, not only while Temporal retains the closed run; the workflow id is
 * the transaction's key, so every call finds its transaction's workflow by id. Every route acts
 * for the caller's merchant only: an id is looked up under that merchant's key
 * (src/merchants/model.ts), so another merchant's transaction is as unknown as one never made.
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { formatMoney, workflowIdFor, type TransactionRequest, type TransactionView } from './model';
import { requestFingerprint } from './request-fingerprint';
import { customerIdKey, merchantIdKey, transactionAmountKey, transactionStatusKey } from './search-attributes';
import { parseTransactionKey, transactionKey } from '../merchants/model';
import { merchantOf } from '../api/auth';
import { cancelUpdate, captureUpdate, decisionUpdate, MAX_DECISION_WAIT_SECONDS, transactionQuery } from './workflow/messages';
import type { ProcessTransactionInput } from './workflow/process-transaction';
import { allowOnly, ApiError, validationError } from '../api/errors';
import { requestIdOf } from '../api/request-id';
import { captureSchema, createTransactionSchema, idempotencyKeyHeader, listTransactionsQuery, transactionIdParam } from '../api/schemas';
import { listTransactions, plainCustomerSearchValue, type CustomerSearchValue } from './list';
import { reverseHistoryReader, StepAttempts } from './step-attempts';
import { FIELDS_ONLY_IN_HISTORY, type TransactionRecords } from './record';
import { refundedAmount, type RefundRecords } from '../refund/record';
import type { RefundView } from '../refund/model';
import { refundsRouter } from '../refund/routes';

export interface TransactionsRouterOptions {
  client: Client;
  records: TransactionRecords;
  taskQueue: string;
  /** Flow options for every new transaction (tests shorten the waits); production leaves the defaults. */
  flowOptions?: ProcessTransactionInput['options'];
  /** The server secret that signs list cursors. */
  cursorKey: Buffer;
  refunds: RefundRecords;
  /** What the CustomerId search attribute holds: the id, or its keyed pseudonym when payloads are encrypted. */
  customerSearchValue?: CustomerSearchValue;
}

export function transactionsRouter({
  client,
  records,
  taskQueue,
  flowOptions,
  cursorKey,
  refunds,
  customerSearchValue = plainCustomerSearchValue,
}: TransactionsRouterOptions): Router {
  const router = Router();
  // Each step's attempts, from the runs' histories: only the events added since the last read are fetched.
  const stepAttempts = new StepAttempts(reverseHistoryReader(client));
  router.use('/:id/refunds', refundsRouter({ client, records, refunds, taskQueue, flowOptions }));

  router.post('/', async (req, res) => {
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
  });

  router.get('/', async (req, res) => {
    const filter = listTransactionsQuery.safeParse(req.query);
    if (!filter.success) throw validationError(filter.error, 'query');
    res.json(await listTransactions(client, records, { ...filter.data, merchantId: merchantOf(res) }, cursorKey, customerSearchValue));
  });

  router.get('/:id', async (req, res) => {
    const key = transactionKey(merchantOf(res), transactionIdOf(req.params.id));
    const handle = await boundHandle(client, records, key);
    const refunded = await refundsOf(refunds, key);
    try {
      const view = await handle.query(transactionQuery);
      res.json({ ...view, steps: await stepAttempts.of(handle, view.steps), ...refunded });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      res.json({ ...(await fromRecord(records, key)), ...refunded });
    }
  });

  router.post('/:id/capture', async (req, res) => {
    const parsed = captureSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw validationError(parsed.error);
    const updateId = clientRequestId(req.header('idempotency-key'), 'capture', parsed.data);
    res.json(
      await withTransaction(client, records, merchantOf(res), req.params.id, (handle) =>
        handle.executeUpdate(captureUpdate, { args: [parsed.data], updateId }),
      ),
    );
  });

  router.post('/:id/cancel', async (req, res) => {
    const updateId = clientRequestId(req.header('idempotency-key'), 'cancel', {});
    res.json(
      await withTransaction(client, records, merchantOf(res), req.params.id, (handle) => handle.executeUpdate(cancelUpdate, { updateId })),
    );
  });

  router.all('/', allowOnly('GET', 'HEAD', 'POST'));
  router.all('/:id', allowOnly('GET', 'HEAD'));
  router.all(['/:id/capture', '/:id/cancel'], allowOnly('POST'));
  return router;
}

type Handle = ReturnType<Client['workflow']['getHandle']>;

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
    flowOptions: TransactionsRouterOptions['flowOptions'];
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
  const view = await client.workflow
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
  // No bindRun here: the handle does not carry the run id, and the workflow's first step binds its own run.
  return { status: view && view.status !== 'processing' ? 201 : 202, view: view ?? acceptedView(request) };
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

/**
 * A request that asks to wait: the authorization's decision, or the transaction as it stands once
 * it has finished. The state is read first with the query, which adds nothing to the history; only
 * while the authorization is still undecided does it wait with the update (about five events
 * each), so a till repeating its request for days (a manual capture) does not grow the history
 * towards Temporal's limit: the waits are bounded by the authorization phase.
 */
async function decisionOf(
  client: Client,
  records: TransactionRecords,
  key: string,
  waitSeconds: number,
): Promise<RecordedView | TransactionView> {
  try {
    const handle = await boundHandle(client, records, key);
    const view = await handle.query(transactionQuery);
    if (view.status !== 'processing') return view;
    return await handle.executeUpdate(decisionUpdate, { args: [{ waitSeconds }] });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return currentView(client, records, key);
  }
}

/** The transaction's refunds (from the record: each refund is its own workflow), when it has any. */
async function refundsOf(refunds: RefundRecords, key: string): Promise<{ refunds?: RefundView[]; refundedAmount?: number }> {
  const list = await refunds.of(key);
  return list.length ? { refunds: list, refundedAmount: refundedAmount(list) } : {};
}

/**
 * The update id of a capture or cancel: Temporal runs an update id once per workflow run and
 * answers a repeat with the first outcome, so a till retrying after a lost response gets the
 * first answer, not a 409. With an `Idempotency-Key` the key names the request (with its body, so
 * reusing a key for another body is a new request); without one, an identical request is the same one.
 */
function clientRequestId(key: string | undefined, action: 'capture' | 'cancel', body: object): string {
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 22);
  if (key === undefined) return `${action}:${digest}`;
  const valid = idempotencyKeyHeader.safeParse(key);
  if (!valid.success) throw validationError(valid.error, 'idempotency-key header');
  return `${action}:key:${valid.data}:${digest}`;
}

function transactionIdOf(rawId: string): string {
  const id = transactionIdParam.safeParse(rawId);
  if (!id.success) throw validationError(id.error, 'id');
  return id.data;
}

/** Runs a call on a transaction's workflow, mapping Temporal's answers to HTTP: unknown -> 404, refused -> 409. */
async function withTransaction<T>(
  client: Client,
  records: TransactionRecords,
  merchantId: string,
  rawId: string,
  call: (handle: Handle) => Promise<T>,
): Promise<T> {
  const id = transactionIdOf(rawId);
  const key = transactionKey(merchantId, id);
  const handle = await boundHandle(client, records, key);
  try {
    return await call(handle);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // An update to a finished workflow also lands here, as does one whose run Temporal has
      // forgotten: the record knows the transaction exists, it is just over.
      const finished =
        (await handle.describe().then(
          () => true,
          () => false,
        )) || (await records.find(key)) !== undefined;
      if (finished) throw new ApiError(409, 'invalid_state', `Transaction ${id} is already finished`);
      throw new ApiError(404, 'not_found', `No transaction ${id}`);
    }
    if (err instanceof WorkflowUpdateFailedError) {
      const message = err.cause instanceof ApplicationFailure ? err.cause.message : 'The transaction refused the request';
      throw new ApiError(409, 'invalid_state', message);
    }
    throw err;
  }
}

/**
 * The handle of the workflow run the record bound to the transaction: the one that acted for it.
 * Any other run under the same workflow id (one refused at its first step) is not the transaction.
 */
async function boundHandle(client: Client, records: TransactionRecords, key: string): Promise<Handle> {
  const bound = await records.runOf(key);
  return client.workflow.getHandle(workflowIdFor(key), bound.known ? bound.runId : undefined);
}

/** The live view from the workflow, or the record's when Temporal no longer has the run. */
async function currentView(client: Client, records: TransactionRecords, key: string): Promise<RecordedView | TransactionView> {
  try {
    return await (await boundHandle(client, records, key)).query(transactionQuery);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return fromRecord(records, key);
  }
}

export type RecordedView = Omit<TransactionView, 'steps'> & { steps: []; unavailable: typeof FIELDS_ONLY_IN_HISTORY };

async function fromRecord(records: TransactionRecords, key: string): Promise<RecordedView> {
  const recorded = await records.find(key);
  if (!recorded) throw new ApiError(404, 'not_found', `No transaction ${parseTransactionKey(key).transactionId}`);
  return { ...recorded, steps: [], unavailable: FIELDS_ONLY_IN_HISTORY };
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

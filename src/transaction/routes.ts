/**
 * /v1/transactions: a thin HTTP layer over the transaction workflows and their record. The record
 * (database) decides whether an id was ever accepted, so a workflow starts at most once per
 * transaction id for ever, not only while Temporal retains the closed run; the workflow id is
 * the transaction's key, so every call finds its transaction's workflow by id. Every route acts
 * for the caller's merchant only: an id is looked up under that merchant's key
 * (src/merchants/model.ts), so another merchant's transaction is as unknown as one never made.
 */
import { Router } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { transactionKey } from '../merchants/model';
import { merchantOf } from '../api/auth';
import { cancelUpdate, captureUpdate } from './workflow/messages';
import { allowOnly, ApiError, validationError } from '../api/errors';
import { captureSchema, idempotencyKeyHeader, listTransactionsQuery, transactionIdParam } from '../api/schemas';
import { fingerprintOf } from '../shared/fingerprint';
import { listTransactions, plainCustomerSearchValue, type CustomerSearchValue } from './list';
import { reverseHistoryReader, StepAttempts } from './step-attempts';
import type { TransactionRecords } from './record';
import { refundedAmount, type RefundRecords } from '../refund/record';
import type { RefundView } from '../refund/model';
import { refundsRouter } from '../refund/routes';
import { createTransaction, type TransactionStartOptions } from './create';
import { boundHandle, viewOf, type Handle } from './lookup';

export interface TransactionsRouterOptions extends Omit<TransactionStartOptions, 'customerSearchValue'> {
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

  router.post('/', createTransaction({ client, records, taskQueue, flowOptions, customerSearchValue }));

  router.get('/', async (req, res) => {
    const filter = listTransactionsQuery.safeParse(req.query);
    if (!filter.success) throw validationError(filter.error, 'query');
    res.json(await listTransactions(client, records, { ...filter.data, merchantId: merchantOf(res) }, cursorKey, customerSearchValue));
  });

  router.get('/:id', async (req, res) => {
    const key = transactionKey(merchantOf(res), transactionIdOf(req.params.id));
    const handle = await boundHandle(client, records, key);
    const refunded = await refundsOf(refunds, key);
    const { view, description } = await viewOf(handle, records, key);
    if ('unavailable' in view || !description) res.json({ ...view, ...refunded });
    else res.json({ ...view, steps: await stepAttempts.of(handle, view.steps, description), ...refunded });
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
  const digest = fingerprintOf(body, 'base64url').slice(0, 22);
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

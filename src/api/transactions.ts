/**
 * /v1/transactions: a thin HTTP layer over the transaction workflows. The workflow id is the
 * transaction id, so starting twice is impossible and every call finds its transaction by id.
 */
import { Router } from 'express';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { workflowIdFor, type TransactionRequest, type TransactionView } from '../domain/transaction';
import { requestFingerprint } from '../domain/request-fingerprint';
import { customerIdKey, transactionAmountKey, transactionStatusKey } from '../domain/search-attributes';
import { cancelUpdate, captureUpdate, transactionQuery } from '../workflows/messages';
import type { ProcessTransactionInput } from '../workflows/process-transaction';
import { allowOnly, ApiError, validationError } from './errors';
import { captureSchema, createTransactionSchema, listTransactionsQuery, transactionIdParam } from './schemas';
import { listTransactions } from './transaction-list';
import { withAttempts } from './step-attempts';

export interface TransactionsRouterOptions {
  client: Client;
  taskQueue: string;
  /** Flow options for every new transaction (tests shorten the waits); production leaves the defaults. */
  flowOptions?: ProcessTransactionInput['options'];
}

export function transactionsRouter({ client, taskQueue, flowOptions }: TransactionsRouterOptions): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const parsed = createTransactionSchema.safeParse(req.body);
    if (!parsed.success) throw validationError(parsed.error);
    const request: TransactionRequest = parsed.data;
    const fingerprint = requestFingerprint(request);
    try {
      await client.workflow.start('processTransaction', {
        workflowId: workflowIdFor(request.transactionId),
        taskQueue,
        args: [{ request, options: flowOptions } satisfies ProcessTransactionInput],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { transactionId: request.transactionId, fingerprint, customerId: request.customerId, amount: request.amount, currency: request.currency },
        typedSearchAttributes: [
          { key: transactionStatusKey, value: 'processing' },
          { key: customerIdKey, value: request.customerId },
          { key: transactionAmountKey, value: request.amount },
        ],
      });
      res.status(202).json(acceptedView(request));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // Same id again: the same request is a harmless repeat, a different one is a conflict.
      const handle = client.workflow.getHandle(workflowIdFor(request.transactionId));
      const { memo } = await handle.describe();
      if (memo?.fingerprint !== fingerprint) {
        throw new ApiError(409, 'transaction_conflict', `Transaction ${request.transactionId} exists with a different request`);
      }
      res.status(200).json(await handle.query(transactionQuery));
    }
  });

  router.get('/', async (req, res) => {
    const filter = listTransactionsQuery.safeParse(req.query);
    if (!filter.success) throw validationError(filter.error, 'query');
    res.json(await listTransactions(client, filter.data));
  });

  router.get('/:id', async (req, res) => {
    res.json(
      await withTransaction(client, req.params.id, async (handle) => {
        const view = await handle.query(transactionQuery);
        return { ...view, steps: await withAttempts(handle, view.steps) };
      }),
    );
  });

  router.post('/:id/capture', async (req, res) => {
    const parsed = captureSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw validationError(parsed.error);
    res.json(await withTransaction(client, req.params.id, (handle) => handle.executeUpdate(captureUpdate, { args: [parsed.data] })));
  });

  router.post('/:id/cancel', async (req, res) => {
    res.json(await withTransaction(client, req.params.id, (handle) => handle.executeUpdate(cancelUpdate)));
  });

  router.all('/', allowOnly('GET', 'HEAD', 'POST'));
  router.all('/:id', allowOnly('GET', 'HEAD'));
  router.all(['/:id/capture', '/:id/cancel'], allowOnly('POST'));
  return router;
}

type Handle = ReturnType<Client['workflow']['getHandle']>;

/** Runs a call on a transaction's workflow, mapping Temporal's answers to HTTP: unknown -> 404, refused -> 409. */
async function withTransaction<T>(client: Client, rawId: string, call: (handle: Handle) => Promise<T>): Promise<T> {
  const id = transactionIdParam.safeParse(rawId);
  if (!id.success) throw validationError(id.error, 'id');
  const handle = client.workflow.getHandle(workflowIdFor(id.data));
  try {
    return await call(handle);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // An update to a finished workflow also lands here: the transaction exists, it is just over.
      const finished = await handle.describe().then(() => true, () => false);
      if (finished) throw new ApiError(409, 'invalid_state', `Transaction ${id.data} is already finished`);
      throw new ApiError(404, 'not_found', `No transaction ${id.data}`);
    }
    if (err instanceof WorkflowUpdateFailedError) {
      const message = err.cause instanceof ApplicationFailure ? err.cause.message : 'The transaction refused the request';
      throw new ApiError(409, 'invalid_state', message);
    }
    throw err;
  }
}

function acceptedView(request: TransactionRequest): TransactionView {
  return {
    transactionId: request.transactionId,
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

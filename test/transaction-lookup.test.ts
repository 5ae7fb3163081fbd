/**
 * A transaction's view when its workflow cannot give one: Temporal has forgotten the run, or the
 * worker could not answer the query (CI's cluster chaos run saw a query's replay fail with a
 * nondeterminism error, and GET answered 500 for good). The record answers both; Temporal being
 * unreachable is not such a case and stays an error (the API answers 503).
 */
import { QueryNotRegisteredError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { viewOf, type Handle } from '../src/transaction/lookup';
import type { TransactionRecords } from '../src/transaction/record';

const recorded = { transactionId: 'tx-1', status: 'succeeded', amount: 500, currency: 'EUR', capturedAmount: 500 };
const records = { find: () => Promise.resolve(recorded) } as unknown as TransactionRecords;
const live = { ...recorded, steps: [{ name: 'recordTransaction', state: 'completed' }] };

function handleWhoseQuery(answer: () => Promise<unknown>): Handle {
  return { workflowId: 'transaction-tx-1', query: answer } as unknown as Handle;
}

test('the live view comes from the workflow when it answers', async () => {
  await expect(viewOf(handleWhoseQuery(() => Promise.resolve(live)), records, 'tx-1')).resolves.toEqual(live);
});

test('a workflow Temporal has forgotten is answered from the record', async () => {
  const gone = handleWhoseQuery(() => Promise.reject(new WorkflowNotFoundError('gone', 'transaction-tx-1', undefined)));
  await expect(viewOf(gone, records, 'tx-1')).resolves.toEqual({ ...recorded, steps: [], unavailable: ['steps'] });
});

test('a query the worker failed (its replay went another way) is answered from the record, not as an error', async () => {
  const failing = handleWhoseQuery(() =>
    Promise.reject(
      new QueryNotRegisteredError(
        '[TMPRL1100] Nondeterminism error: Non-deprecated patch marker encountered for change tell-merchant-of-authorization',
        3,
      ),
    ),
  );
  await expect(viewOf(failing, records, 'tx-1')).resolves.toEqual({ ...recorded, steps: [], unavailable: ['steps'] });
});

test('Temporal unreachable is not hidden behind the record: the error goes on', async () => {
  const unreachable = handleWhoseQuery(() => Promise.reject(new ServiceError('Failed to query Workflow')));
  await expect(viewOf(unreachable, records, 'tx-1')).rejects.toThrow('Failed to query Workflow');
});

test('a transaction the record does not know is not found, whatever the query said', async () => {
  const unknown = { find: () => Promise.resolve(undefined) } as unknown as TransactionRecords;
  const failing = handleWhoseQuery(() => Promise.reject(new QueryNotRegisteredError('replay failed', 3)));
  await expect(viewOf(failing, unknown, 'tx-1')).rejects.toMatchObject({ status: 404 });
});

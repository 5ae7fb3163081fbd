/**
 * A transaction's view when its workflow cannot or must not give one: Temporal has forgotten the
 * run; the workflow's next task is being retried, or no worker answered within the query's deadline
 * (a query then could make a worker run the workflow ahead of its history, which broke a history's
 * replay in the cluster chaos run: docs/chaos.md); or the worker could not answer the query (GET
 * answered 500 for good). The record answers, with the status the workflow committed while the run
 * exists; Temporal being unreachable is not such a case and stays an error (503).
 */
import { QueryNotRegisteredError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { decisionOf, QUERY_DEADLINE_MS, viewOf, type Handle } from '../src/transaction/lookup';
import type { TransactionRecords } from '../src/transaction/record';
import { transactionStatusKey } from '../src/transaction/search-attributes';

const recorded = { transactionId: 'tx-1', status: 'succeeded', amount: 500, currency: 'EUR', capturedAmount: 500 };
const records = { find: () => Promise.resolve(recorded) } as unknown as TransactionRecords;
const live = { ...recorded, steps: [{ name: 'recordTransaction', state: 'completed' }] };

/**
 * A handle whose query answers `answer`, whose next workflow task is at `attempt` (none pending when
 * undefined), and whose committed status (the search attribute) is `committed`.
 */
function handleWhoseQuery(
  answer: () => Promise<unknown>,
  attempt?: number,
  committed?: string,
): Handle & { queried: number; deadlines: number[] } {
  const handle = {
    workflowId: 'transaction-tx-1',
    queried: 0,
    deadlines: [] as number[],
    client: {
      withDeadline: (deadline: number, fn: () => Promise<unknown>) => {
        handle.deadlines.push(deadline - Date.now());
        return fn();
      },
    },
    describe: () =>
      Promise.resolve({
        raw: { pendingWorkflowTask: attempt === undefined ? undefined : { attempt } },
        typedSearchAttributes: new TypedSearchAttributes(committed ? [{ key: transactionStatusKey, value: committed }] : []),
      }),
    query: () => {
      handle.queried++;
      return answer();
    },
  };
  return handle as unknown as Handle & { queried: number; deadlines: number[] };
}
/** What gRPC gives when a call's deadline passes. */
const deadlineExceeded = () =>
  Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: 4, details: 'Deadline exceeded', metadata: {} });
const viewOnly = async (...args: Parameters<typeof viewOf>) => (await viewOf(...args)).view;

test('the live view comes from the workflow when it answers', async () => {
  await expect(
    viewOnly(
      handleWhoseQuery(() => Promise.resolve(live)),
      records,
      'tx-1',
    ),
  ).resolves.toEqual(live);
});

test('a workflow whose task is pending on its first attempt is asked as usual, under a deadline shorter than the sticky timeout', async () => {
  const handle = handleWhoseQuery(() => Promise.resolve(live), 1);
  await expect(viewOnly(handle, records, 'tx-1')).resolves.toEqual(live);
  expect(handle.queried).toBe(1);
  expect(handle.deadlines).toHaveLength(1);
  expect(handle.deadlines[0]).toBeLessThanOrEqual(QUERY_DEADLINE_MS);
  expect(QUERY_DEADLINE_MS).toBeLessThan(10_000); // the SDK's sticky queue schedule-to-start timeout
});

test('no worker answering within the deadline: the record answers, with the status the workflow committed', async () => {
  const handle = handleWhoseQuery(() => Promise.reject(deadlineExceeded()), undefined, 'cancelled');
  const authorizedRecord = { find: () => Promise.resolve({ ...recorded, status: 'authorized' }) } as unknown as TransactionRecords;
  await expect(viewOnly(handle, authorizedRecord, 'tx-1')).resolves.toEqual({
    ...recorded,
    status: 'cancelled',
    steps: [],
    unavailable: ['steps'],
  });
});

test("a deadline the server's side gave up on first (gRPC CANCELLED, as CI saw) is the same: the committed view answers", async () => {
  const cancelled = () => Object.assign(new Error('1 CANCELLED: Call cancelled'), { code: 1, details: 'Call cancelled', metadata: {} });
  const handle = handleWhoseQuery(() => Promise.reject(cancelled()), undefined, 'authorized');
  await expect(viewOnly(handle, records, 'tx-1')).resolves.toEqual({
    ...recorded,
    status: 'authorized',
    steps: [],
    unavailable: ['steps'],
  });
});

test('without a committed status (a run started before it was written) the record answers with its own', async () => {
  const handle = handleWhoseQuery(() => Promise.reject(deadlineExceeded()), undefined, undefined);
  await expect(viewOnly(handle, records, 'tx-1')).resolves.toEqual({ ...recorded, steps: [], unavailable: ['steps'] });
});

test('a workflow whose task is being retried is not asked: the record answers, with the status the workflow committed', async () => {
  const handle = handleWhoseQuery(() => Promise.resolve(live), 2, 'succeeded');
  const lagging = { find: () => Promise.resolve({ ...recorded, status: 'capturing' }) } as unknown as TransactionRecords;
  await expect(viewOnly(handle, lagging, 'tx-1')).resolves.toEqual({ ...recorded, steps: [], unavailable: ['steps'] });
  expect(handle.queried).toBe(0);
});

test('a workflow Temporal has forgotten is answered from the record', async () => {
  const gone = {
    ...handleWhoseQuery(() => Promise.resolve(live)),
    describe: () => Promise.reject(new WorkflowNotFoundError('gone', 'transaction-tx-1', undefined)),
  } as unknown as Handle;
  await expect(viewOnly(gone, records, 'tx-1')).resolves.toEqual({ ...recorded, steps: [], unavailable: ['steps'] });
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
  await expect(viewOnly(failing, records, 'tx-1')).resolves.toEqual({ ...recorded, steps: [], unavailable: ['steps'] });
});

test('Temporal unreachable is not hidden behind the record: the error goes on', async () => {
  const unreachable = handleWhoseQuery(() => Promise.reject(new ServiceError('Failed to query Workflow')));
  await expect(viewOnly(unreachable, records, 'tx-1')).rejects.toThrow('Failed to query Workflow');
});

test('a transaction the record does not know is not found, whatever the query said', async () => {
  const unknown = { find: () => Promise.resolve(undefined) } as unknown as TransactionRecords;
  const failing = handleWhoseQuery(() => Promise.reject(new QueryNotRegisteredError('replay failed', 3)));
  await expect(viewOnly(failing, unknown, 'tx-1')).rejects.toMatchObject({ status: 404 });
});

test("a till's wait during a retried task is not a query but the decision update, which waits for the answer", async () => {
  const decided = { ...live, status: 'authorized' };
  const handle = Object.assign(
    handleWhoseQuery(() => Promise.resolve(live), 2),
    { executeUpdate: () => Promise.resolve(decided) },
  );
  const client = { workflow: { getHandle: () => handle } } as unknown as Parameters<typeof decisionOf>[0];
  const undecided = { runOf: () => Promise.resolve({ known: false }), find: () => Promise.resolve({ ...recorded, status: 'processing' }) };
  await expect(decisionOf(client, undecided as unknown as TransactionRecords, 'tx-1', 5)).resolves.toEqual(decided);
  expect(handle.queried).toBe(0);
});

test("a till's wait is bounded by the API too: past it (the workflow's task still busy), the committed view answers", async () => {
  const handle = Object.assign(
    handleWhoseQuery(() => Promise.resolve({ ...live, status: 'processing' }), undefined, 'processing'),
    { executeUpdate: () => new Promise(() => undefined) }, // the update's answer never comes
  );
  const client = { workflow: { getHandle: () => handle } } as unknown as Parameters<typeof decisionOf>[0];
  const undecided = { runOf: () => Promise.resolve({ known: false }), find: () => Promise.resolve({ ...recorded, status: 'processing' }) };
  // Without the API's bound this never settles (the test's timeout fails it).
  await expect(decisionOf(client, undecided as unknown as TransactionRecords, 'tx-1', 0.05)).resolves.toEqual({
    ...recorded,
    status: 'processing',
    steps: [],
    unavailable: ['steps'],
  });
});

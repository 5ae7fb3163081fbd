/**
 * Finding a transaction's workflow run and its view: the run the record bound to the transaction,
 * the live view from it, or the record's once Temporal has forgotten the run.
 */
import {
  isGrpcCancelledError,
  isGrpcDeadlineError,
  QueryNotRegisteredError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { isTransactionStatus, workflowIdFor, type TransactionView } from './model';
import { parseTransactionKey } from '../merchants/model';
import { decisionUpdate, transactionQuery } from './workflow/messages';
import { ApiError } from '../api/errors';
import { FIELDS_ONLY_IN_HISTORY, type TransactionRecords } from './record';
import { logger } from '../shared/logger';
import { transactionStatusKey } from './search-attributes';

export type Handle = ReturnType<Client['workflow']['getHandle']>;

/**
 * A request that asks to wait: the authorization's decision, or the transaction as it stands once
 * it has finished. The state is read first with the query, which adds nothing to the history; only
 * while the authorization is still undecided does it wait with the update (about five events
 * each), so a till repeating its request for days (a manual capture) does not grow the history
 * towards Temporal's limit: the waits are bounded by the authorization phase.
 */
export async function decisionOf(
  client: Client,
  records: TransactionRecords,
  key: string,
  waitSeconds: number,
): Promise<RecordedView | TransactionView> {
  const handle = await boundHandle(client, records, key);
  const { view, description } = await viewOf(handle, records, key);
  // Waits with the update while undecided, also when the record answered for a task being retried;
  // not when the run is gone or could not be read (no description).
  if (view.status !== 'processing' || !description) return view;
  try {
    const answered = await withinWait(handle.executeUpdate(decisionUpdate, { args: [{ waitSeconds }] }), waitSeconds);
    return answered.settled ? answered.value : await committedView(records, key, description);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return fromRecord(records, key);
  }
}

/** How much longer than the till's wait the API gives the workflow's own answer before it answers itself. */
const WAIT_GRACE_MS = 1_000;

/**
 * The work's value if it settles within the till's wait (and a grace), else `settled: false` (the
 * work goes on; its outcome is not awaited). The workflow bounds the wait with a timer, but a timer
 * starts only when the workflow's task ends, and since flow v10 the first task runs the requests to
 * Zuz inside it: a slow Zuz would otherwise hold the answer past the wait the till asked for.
 */
export async function withinWait<T>(work: Promise<T>, waitSeconds: number): Promise<{ settled: true; value: T } | { settled: false }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ settled: false }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), waitSeconds * 1000 + WAIT_GRACE_MS);
  });
  try {
    return await Promise.race([work.then((value) => ({ settled: true as const, value })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The handle of the workflow run the record bound to the transaction: the one that acted for it.
 * Any other run under the same workflow id (one refused at its first step) is not the transaction.
 */
export async function boundHandle(client: Client, records: TransactionRecords, key: string): Promise<Handle> {
  const bound = await records.runOf(key);
  return client.workflow.getHandle(workflowIdFor(key), bound.known ? bound.runId : undefined);
}

/** The live view from the workflow, or the record's when Temporal no longer has the run. */
export async function currentView(client: Client, records: TransactionRecords, key: string): Promise<RecordedView | TransactionView> {
  return (await viewOf(await boundHandle(client, records, key), records, key)).view;
}

/** A view, with the workflow's description when the workflow gave it (the steps' attempts are read from it). */
export type ViewAndDescription =
  { view: TransactionView; description: WorkflowExecutionDescription } | { view: RecordedView; description?: WorkflowExecutionDescription };

/**
 * How long a read waits for the workflow's answer before the committed view answers instead. It must
 * stay below the sticky queue's schedule-to-start timeout (the SDK's 10 s): a query sent to the
 * sticky queue of a worker that died waits that long, and only a caller still waiting is then sent
 * on to another worker (Temporal server 1.29, history/api/queryworkflow), which may replay the
 * history with events that came in meanwhile and run the workflow ahead of it (below).
 */
export const QUERY_DEADLINE_MS = 5_000;

/**
 * The live view from the workflow's query, else the committed one (the record's, with the status the
 * workflow last committed: `committedView`):
 * - when Temporal no longer has the run (the record alone);
 * - while the workflow's next task is being retried, or when the query found no worker within
 *   `QUERY_DEADLINE_MS` (a worker died or stalled, and events wait for a task). A query that then
 *   reaches a worker that does not hold the workflow makes it replay the history *and* apply the
 *   waiting events: the workflow runs ahead of its history, and that worker, keeping it cached,
 *   later sends the commands it made for the query with the next task. An update arriving with that
 *   task then sits after those commands, where a replay puts it before them: the history no longer
 *   replays (an SDK bug, found by the cluster chaos run: docs/chaos.md). Not asking, and not waiting
 *   long enough to be sent on, is the way round it;
 * - when the worker could not answer (its replay of the history failed, a fault a retry does not
 *   cure): the record still knows the transaction, and the caller gets a definite answer, not a 500.
 * Temporal unreachable is none of these: that error goes on (503).
 */
export async function viewOf(handle: Handle, records: TransactionRecords, key: string): Promise<ViewAndDescription> {
  let description: WorkflowExecutionDescription | undefined;
  try {
    description = await handle.describe();
    if ((description.raw.pendingWorkflowTask?.attempt ?? 1) > 1)
      return { view: await committedView(records, key, description), description };
    const view = await handle.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(transactionQuery));
    return { view, description };
  } catch (err) {
    if (description && queryTimedOut(err)) return { view: await committedView(records, key, description), description };
    if (err instanceof QueryNotRegisteredError) {
      logger.warn(
        { component: 'api', workflowId: handle.workflowId, error: err.message },
        "the transaction's workflow could not answer its query; answering from the record",
      );
    } else if (!(err instanceof WorkflowNotFoundError)) throw err;
    return { view: await fromRecord(records, key) };
  }
}

/** The query's deadline passed: gRPC says so as DEADLINE_EXCEEDED, or as CANCELLED when the server's side of the call gave up first. */
function queryTimedOut(err: unknown): boolean {
  return isGrpcDeadlineError(err) || isGrpcCancelledError(err);
}

/**
 * The record's view with the status the workflow last committed (its `TransactionStatus` search
 * attribute, which `describe()` reads from the run's state, not from visibility). The workflow
 * publishes a status, and a query shows it, before the step that writes it to the record has run:
 * the record's own status alone could take a reader back (`cancelled`, then `authorized`).
 */
async function committedView(records: TransactionRecords, key: string, description: WorkflowExecutionDescription): Promise<RecordedView> {
  const recorded = await fromRecord(records, key);
  const committed = description.typedSearchAttributes.get(transactionStatusKey);
  return committed && isTransactionStatus(committed) ? { ...recorded, status: committed } : recorded;
}

export type RecordedView = Omit<TransactionView, 'steps'> & { steps: []; unavailable: typeof FIELDS_ONLY_IN_HISTORY };

export async function fromRecord(records: TransactionRecords, key: string): Promise<RecordedView> {
  const recorded = await records.find(key);
  if (!recorded) throw new ApiError(404, 'not_found', `No transaction ${parseTransactionKey(key).transactionId}`);
  return { ...recorded, steps: [], unavailable: FIELDS_ONLY_IN_HISTORY };
}

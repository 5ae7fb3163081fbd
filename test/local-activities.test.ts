/**
 * Flow v8 runs the database steps before Zuz as local activities. The SDK can complete the workflow
 * task before they end and go on in a new one, so their markers spread over several tasks: when
 * they run long (a slow database), and when a query (the till's GET) came with the task. Such a
 * history must still replay. The chaos suite found one that did not (patches decided between local
 * activities: see decideOpeningPatchesFirst).
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { TransactionRequest } from '../src/transaction/model';
import { transactionQuery } from '../src/transaction/workflow/messages';
import type { TransactionActivities } from '../src/activities';
import { approvingActivities } from './helpers/approving-activities';
import { openingCommandEventIds, splitOpeningTaskAfter, type JsonHistory } from './helpers/split-workflow-task';
import { bundleWorkflows, createDevServerEnv } from './helpers/temporal';

let env: TestWorkflowEnvironment;
let workflowBundle: { code: string };

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createDevServerEnv(), bundleWorkflows()]);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

const request = (): TransactionRequest => ({
  transactionId: randomUUID(),
  customerId: 'cus_1',
  paymentMethodId: 'pm_1',
  amount: 1000,
  currency: 'EUR',
  capture: 'auto',
});

/** Runs one transaction to its end; `beforeWorker` runs once it is started, before any worker polls. */
async function runOneTransaction(activities: TransactionActivities, beforeWorker?: (workflowId: string) => Promise<unknown>) {
  const taskQueue = `local-activities-${randomUUID()}`;
  const transaction = request();
  const workflowId = `transaction-${transaction.transactionId}`;
  const handle = await env.client.workflow.start('processTransaction', { taskQueue, workflowId, args: [{ request: transaction }] });
  const before = beforeWorker?.(workflowId);
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  const history = await worker.runUntil(async () => {
    await Promise.all([handle.result(), before]);
    return handle.fetchHistory();
  });
  return { history, workflowId };
}

/** How many workflow tasks completed before the first ordinary activity was scheduled. */
function openingTasks(history: Awaited<ReturnType<typeof runOneTransaction>>['history']): number {
  const events = history.events ?? [];
  const firstActivity = events.findIndex((event) => event.activityTaskScheduledEventAttributes);
  return events.slice(0, firstActivity).filter((event) => event.workflowTaskCompletedEventAttributes).length;
}

test('a transaction whose slow local database step spread over several workflow tasks replays from its history', async () => {
  // Recording takes 9 s, longer than the SDK lets a workflow task wait (80 % of its 10 s timeout).
  const { history, workflowId } = await runOneTransaction(approvingActivities({ recordMs: 9000 }));
  expect(openingTasks(history)).toBeGreaterThan(1);
  await Worker.runReplayHistory({ workflowBundle }, history, workflowId);
}, 60_000);

test('a query that waits for the first workflow task splits the opening (as in the chaos run), and the history replays', async () => {
  // The server hands a query sent before any worker polls to the worker with the task; the SDK
  // answers it as soon as the workflow waits on its first local activity, completing the task early.
  const queryFirstTask = (id: string) => env.client.workflow.getHandle(id).query(transactionQuery);
  const { history, workflowId } = await runOneTransaction(approvingActivities({ recordMs: 1000 }), queryFirstTask);
  expect(openingTasks(history)).toBeGreaterThan(1);
  await Worker.runReplayHistory({ workflowBundle }, history, workflowId);
}, 60_000);

test('the opening replays wherever the SDK splits its workflow task (every split point, as the chaos suite saw one)', async () => {
  const { history, workflowId } = await runOneTransaction(approvingActivities());
  const json = JSON.parse(historyToJSON(history)) as JsonHistory;
  const opening = openingCommandEventIds(json);
  // The whole opening in one task: patch markers, three local activities' markers, the first ordinary activity.
  const markers = json.events.filter((event) => opening.includes(Number(event.eventId)) && event.markerRecordedEventAttributes);
  expect(markers.map((event) => (event.markerRecordedEventAttributes as { markerName: string }).markerName)).toEqual(
    expect.arrayContaining(['core_patch', 'core_local_activity', 'core_local_activity', 'core_local_activity']),
  );

  // The SDK completes a task early only while the workflow waits on a local activity, with every
  // command the workflow gave before that wait (an activation's commands are never split): so just
  // before a local activity's marker. (Splits inside the opening's block of patch markers, which the
  // SDK cannot make, do not replay since v10 decides three more of them there.)
  const splitPoints = opening.filter((id, index) => {
    const next = json.events.find((event) => Number(event.eventId) === opening[index + 1]);
    return (next?.markerRecordedEventAttributes as { markerName?: string } | undefined)?.markerName === 'core_local_activity';
  });
  expect(splitPoints.length).toBeGreaterThanOrEqual(5); // record, assign, screen, open the payment, ask for the authorization
  const failures: string[] = [];
  for (const afterEventId of splitPoints) {
    try {
      await Worker.runReplayHistory({ workflowBundle }, splitOpeningTaskAfter(json, afterEventId), workflowId);
    } catch (error) {
      failures.push(`split after event ${afterEventId}: ${(error as Error).message.slice(0, 300)}`);
    }
  }
  expect(failures).toEqual([]);
}, 120_000);

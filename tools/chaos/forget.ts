/**
 * Retention, on demand: deletes a finished transaction's workflow from Temporal, as the
 * namespace's retention period does a day after it closes, and returns only once Temporal
 * answers that it has no such workflow. Deletion is asynchronous and a Temporal restart (one of
 * the faults) can interrupt it, so the delete is sent again until the workflow is gone.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { workflowIdFor } from '../../src/domain/transaction';
import { sleep } from './sleep';

const GIVE_UP_AFTER_MS = 120_000;

export async function connectForgetter(
  temporalAddress: string,
): Promise<{ forget: (transactionId: string) => Promise<void>; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 10_000 });
  const client = new Client({ connection });

  const isGone = (workflowId: string) =>
    client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        () => false,
        (err: unknown) => err instanceof WorkflowNotFoundError, // any other error (Temporal restarting) proves nothing
      );

  const forget = async (transactionId: string) => {
    const workflowId = workflowIdFor(transactionId);
    const giveUpAt = Date.now() + GIVE_UP_AFTER_MS;
    while (Date.now() < giveUpAt) {
      await client.workflowService
        .deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: { workflowId } })
        .catch(() => undefined); // not found (already gone) or Temporal unavailable: the check below decides
      for (let check = 0; check < 25; check++) {
        if (await isGone(workflowId)) return;
        await sleep(200);
      }
    }
    throw new Error(`could not delete the workflow of ${transactionId} within ${GIVE_UP_AFTER_MS / 1000} s`);
  };
  return { forget, close: () => connection.close() };
}

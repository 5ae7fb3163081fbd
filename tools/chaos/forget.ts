/**
 * Retention, on demand: deletes a finished transaction's workflow from Temporal, as the
 * namespace's retention period does a day after it closes, and returns only once Temporal
 * answers that it has no such workflow. Deletion is asynchronous and a Temporal restart (one of
 * the faults) can interrupt it, so the delete is sent again until the workflow is gone.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TemporalConfig } from '../../src/shared/config';
import { connectClient } from '../../src/shared/temporal';
import { workflowIdFor } from '../../src/transaction/model';
import { sleep } from './sleep';

/** Deletion is a background task in Temporal; under load it can take minutes, so the wait is bounded. */
const WAIT_FOR_DELETION_MS = 60_000;

/** The run that was deleted, and whether Temporal already says it is gone. */
export interface Forgotten {
  runId?: string;
  gone: boolean;
}

export async function connectForgetter(temporal: TemporalConfig): Promise<{
  forget: (transactionId: string) => Promise<Forgotten>;
  forgetWorkflow: (workflowId: string) => Promise<Forgotten>;
  isGone: (workflowId: string) => Promise<boolean>;
  /** The run Temporal has under the workflow id, if any. */
  runOf: (workflowId: string) => Promise<string | undefined>;
  close: () => Promise<void>;
}> {
  const client = await connectClient(temporal, [], { connectTimeout: 10_000 });
  const connection = client.connection;

  const isGone = (workflowId: string) =>
    client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        () => false,
        (err: unknown) => err instanceof WorkflowNotFoundError, // any other error (Temporal restarting) proves nothing
      );

  const forgetWorkflow = async (workflowId: string): Promise<Forgotten> => {
    const runId = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        (description) => description.runId,
        () => undefined,
      );
    const giveUpAt = Date.now() + WAIT_FOR_DELETION_MS;
    while (Date.now() < giveUpAt) {
      await client.workflowService
        .deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: { workflowId, runId } })
        .catch(() => undefined); // not found (already gone) or Temporal unavailable: the check below decides
      for (let check = 0; check < 25; check++) {
        if (await isGone(workflowId)) return { runId, gone: true };
        await sleep(200);
      }
    }
    return { runId, gone: false };
  };
  return {
    forget: (transactionId) => forgetWorkflow(workflowIdFor(transactionId)),
    forgetWorkflow,
    isGone,
    runOf: (workflowId) =>
      client.workflow
        .getHandle(workflowId)
        .describe()
        .then(
          (description) => description.runId,
          () => undefined,
        ),
    close: () => connection.close(),
  };
}

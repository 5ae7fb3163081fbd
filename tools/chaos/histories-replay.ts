/**
 * histories-replay: every workflow the run left in Temporal replays, from its first event, on the
 * code that wrote it. A worker that lost its cache (killed, restarted, or asked a query about a
 * workflow it no longer holds) replays the whole history; if that replay takes another path, the
 * workflow's tasks fail for ever and its queries answer nothing (the API's GET then answers 500).
 * The chaos faults (a server killed mid-write, workers killed mid-task) make history shapes that
 * example tests never see, so each one is replayed here; a history that does not replay is written
 * to `<logs>/histories/` for a replay test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TemporalConfig } from '../../src/shared/config';
import { connectClient, dataConverterOf } from '../../src/shared/temporal';
import { prebuiltWorkflowBundle } from '../../src/shared/workflow-bundle';
import type { InvariantResult, Violation } from '../invariants/types';
import { BatchReplayer } from '../simulation/replayer';

const NAME = 'histories-replay';
const DESCRIPTION = "every workflow's history replays from its first event on the code that ran it";

/** `payloadKeys`: the run's throwaway PAYLOAD_ENCRYPTION_KEYS, saved beside a failing history so that it can be decrypted. */
export async function checkHistoriesReplay(
  temporal: TemporalConfig,
  taskQueues: string[],
  logsDir: string,
  payloadKeys?: string,
): Promise<InvariantResult> {
  const client = await connectClient(temporal, [], { connectTimeout: 10_000 });
  const bundle = prebuiltWorkflowBundle();
  const replayer = new BatchReplayer({
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: require.resolve('../../src/workflows') }),
    dataConverter: dataConverterOf(temporal),
  });
  const violations: Violation[] = [];
  let replayed = 0;
  // A workflow the run made Temporal forget may still be listed while its deletion is under way.
  let deletedMeanwhile = 0;
  try {
    const pending: Array<Promise<void>> = [];
    const query = taskQueues.map((queue) => `TaskQueue = '${queue}'`).join(' OR ');
    for await (const execution of client.workflow.list({ query })) {
      const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
      const history = await handle.fetchHistory().catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
      if (!history) {
        deletedMeanwhile++;
        continue;
      }
      replayed++;
      pending.push(
        replayer.replay(history, execution.workflowId).then((failure) => {
          if (failure === undefined) return;
          const file = path.join(logsDir, 'histories', `${execution.workflowId.replace(/[^\w.-]/g, '_')}.json`);
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, historyToJSON(history));
          if (payloadKeys) writeFileSync(path.join(path.dirname(file), 'PAYLOAD_ENCRYPTION_KEYS'), `${payloadKeys}\n`, { mode: 0o600 });
          violations.push({ transactionId: execution.workflowId, why: `does not replay (history in ${file}): ${failure}` });
        }),
      );
    }
    await Promise.all(pending);
  } finally {
    await replayer.close();
    await client.connection.close();
  }
  return { name: NAME, description: DESCRIPTION, violations, notes: { replayed, deletedMeanwhile } };
}

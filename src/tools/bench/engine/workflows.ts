/** The engine-ceiling workflow (see shape.ts): Temporal's own cost for the flow's shape. Workflow code: deterministic only. */
import { condition, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { transactionStatusKey } from '../../../domain/search-attributes';
import type { EngineActivities } from './activities';
import { resultSignal, type EngineInput } from './shape';

const remote = proxyActivities<EngineActivities>({ startToCloseTimeout: '10 seconds' });
const local = proxyLocalActivities<EngineActivities>({ startToCloseTimeout: '10 seconds' });

export async function engineCeiling({ steps, signalDelayMs, graceMs }: EngineInput): Promise<number> {
  let answered = false;
  setHandler(resultSignal, () => {
    answered = true;
  });
  let upserts = 0;
  for (const step of steps) {
    switch (step) {
      case 'activity':
        await remote.noop();
        break;
      case 'local':
        await local.noop();
        break;
      case 'request':
        await remote.requestResult({ workflowId: workflowInfo().workflowId, delayMs: signalDelayMs });
        break;
      case 'wait':
        await condition(() => answered, graceMs);
        break;
      case 'upsert':
        upsertSearchAttributes([{ key: transactionStatusKey, value: `bench-${++upserts}` }]);
        break;
    }
  }
  return steps.length;
}

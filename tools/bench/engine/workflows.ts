/** The engine-ceiling workflow (see shape.ts): Temporal's own cost for the flow's shape. Workflow code: deterministic only. */
import {
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { transactionStatusKey } from '../../../src/transaction/search-attributes';
import type { EngineActivities } from './activities';
import { resultSignal, type EngineInput } from './shape';

const remote = proxyActivities<EngineActivities>({ startToCloseTimeout: '10 seconds' });
const local = proxyLocalActivities<EngineActivities>({ startToCloseTimeout: '10 seconds' });

export async function engineCeiling({ steps }: EngineInput): Promise<number> {
  let signals = 0;
  setHandler(resultSignal, () => {
    signals++;
  });
  let upserts = 0;
  let markers = 0;
  for (const step of steps) {
    switch (step.kind) {
      case 'activity':
        await (step.local ? local : remote).noop({ workflowId: workflowInfo().workflowId, signalsAfterMs: step.signalsAfterMs ?? [] });
        break;
      case 'wait':
        await condition(() => signals >= step.untilSignals, step.graceMs);
        break;
      case 'upsert':
        upsertSearchAttributes([{ key: transactionStatusKey, value: `bench-${++upserts}` }]);
        break;
      case 'marker':
        patched(`bench-marker-${++markers}`);
        break;
    }
  }
  return steps.length;
}

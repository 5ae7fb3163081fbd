/**
 * The steps' activity stubs, one per retry/timeout profile: each kind of step retries in its own
 * way, and its short start-to-close timeout is how long a step is held by one worker (a crashed
 * worker's step is picked up again by another soon after). The profiles themselves are flow
 * options (see options.ts).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StepPolicies } from './options';

export function stepActivities(policies: StepPolicies) {
  return {
    database: proxyActivities<
      Pick<Activities, 'recordTransaction' | 'assignAccountId' | 'screenTransaction' | 'finalizeTransaction' | 'finalizeRefund'>
    >(policies.database),
    zuzCommands: proxyActivities<Pick<Activities, 'createPayment' | 'createAuthorization' | 'capturePayment'>>(policies.zuzCommands),
    zuzPersistent: proxyActivities<Pick<Activities, 'voidAuthorization' | 'readPaymentState' | 'requestRefund'>>(policies.zuzPersistent),
    zuzQueries: proxyActivities<Pick<Activities, 'readPaymentState'>>(policies.zuzQueries),
  };
}

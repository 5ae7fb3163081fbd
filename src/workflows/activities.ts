/**
 * The steps' activity stubs, one per retry/timeout profile (the seed's "individual RetryPolicy
 * per step" and "step lock TTL": a short start-to-close timeout means a crashed worker's step is
 * picked up again quickly). The profiles themselves are flow options (see options.ts).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StepPolicies } from './options';

export function stepActivities(policies: StepPolicies) {
  return {
    database: proxyActivities<Pick<Activities, 'recordTransaction' | 'assignAccountId' | 'screenTransaction' | 'finalizeTransaction'>>(policies.database),
    zuzCommands: proxyActivities<Pick<Activities, 'createPayment' | 'createAuthorization' | 'capturePayment'>>(policies.zuzCommands),
    zuzPersistent: proxyActivities<Pick<Activities, 'voidAuthorization' | 'readPaymentState'>>(policies.zuzPersistent),
    zuzQueries: proxyActivities<Pick<Activities, 'readPaymentState'>>(policies.zuzQueries),
  };
}

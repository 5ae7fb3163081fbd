/** All activities of the worker, built from their dependencies (so tests can hand in their own). */
import type { MetricMeter } from '@temporalio/common';
import type { Database } from './shared/database';
import type { PmsClient } from './pms';
import type { ZuzClient } from './zuz';
import { createDatabaseActivities, type RiskLimits } from './transaction/activities';
import { createZuzActivities, type ZuzStepRecorder } from './zuz/activities';
import { TransactionRecords } from './transaction/record';
import { RefundRecords } from './refund/record';
import { createReconciliationActivities, type WorkflowLookup } from './reconciliation/activities';
import { createMerchantEventActivities, type MerchantEventActivities } from './merchant-events/activities';

export interface ActivityDependencies {
  db: Database;
  zuz: ZuzClient;
  pms: PmsClient;
  risk: RiskLimits;
  /** Whether a transaction's workflow still runs (the reconciliation leaves running ones to their flow). */
  workflowOf: WorkflowLookup;
  /** The workflow run an activity works for; by default the running activity's own (only the bench's non-durable baseline, which has no run, passes its own). */
  currentRunId?: () => string | undefined;
  /** Where the outcome counters go; by default the running activity's meter (the baseline, outside any activity, passes its own). */
  outcomeMeter?: () => MetricMeter;
}

export function createActivities({ db, zuz, pms, risk, workflowOf, currentRunId, outcomeMeter }: ActivityDependencies) {
  return {
    ...createDatabaseActivities(db, risk, currentRunId, outcomeMeter),
    ...createZuzActivities(zuz, pms, recorderOver(db)),
    ...createReconciliationActivities(db, zuz, workflowOf),
    ...createMerchantEventActivities(db),
  };
}

/** The Zuz steps write what they learn into the record as they go (src/zuz/activities.ts). */
function recorderOver(db: Database): ZuzStepRecorder {
  const records = new TransactionRecords(db);
  const refunds = new RefundRecords(db);
  return {
    paymentOpened: (transactionKey, paymentId) => records.linkPayment(transactionKey, paymentId),
    refundAsked: (order) => refunds.markAsked(order.transactionKey, order.refundId),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The activities of one refund's flow. */
export type RefundActivities = Pick<Activities, 'requestRefund' | 'readPaymentState' | 'finalizeRefund'>;

/** The activities of one transaction's flow (what a fake for the transaction workflow must provide). */
export type TransactionActivities = Omit<
  Activities,
  | keyof ReturnType<typeof createReconciliationActivities>
  | keyof MerchantEventActivities
  | Exclude<keyof RefundActivities, 'readPaymentState'>
>;

/** All activities of the worker, built from their dependencies (so tests can hand in their own). */
import type { Database } from '../infrastructure/database';
import type { PmsClient } from '../infrastructure/pms';
import type { ZuzClient } from '../infrastructure/zuz';
import { createDatabaseActivities, type RiskLimits } from './database';
import { createZuzActivities } from './zuz';
import { createReconciliationActivities, type WorkflowLookup } from './reconciliation';

export interface ActivityDependencies {
  db: Database;
  zuz: ZuzClient;
  pms: PmsClient;
  risk: RiskLimits;
  /** Whether a transaction's workflow still runs (the reconciliation leaves running ones to their flow). */
  workflowOf: WorkflowLookup;
  /** The workflow run an activity works for; by default the running activity's own (only the bench's non-durable baseline, which has no run, passes its own). */
  currentRunId?: () => string | undefined;
}

export function createActivities({ db, zuz, pms, risk, workflowOf, currentRunId }: ActivityDependencies) {
  return {
    ...createDatabaseActivities(db, risk, currentRunId),
    ...createZuzActivities(zuz, pms),
    ...createReconciliationActivities(db, zuz, workflowOf),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The activities of one refund's flow. */
export type RefundActivities = Pick<Activities, 'requestRefund' | 'readPaymentState' | 'finalizeRefund'>;

/** The activities of one transaction's flow (what a fake for the transaction workflow must provide). */
export type TransactionActivities = Omit<
  Activities,
  keyof ReturnType<typeof createReconciliationActivities> | Exclude<keyof RefundActivities, 'readPaymentState'>
>;

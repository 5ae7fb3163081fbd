/** All the invariants of a chaos run, in the order the report shows them. */
import type { WebhookDelivery } from '../../../sandbox/simulators/zuz';
import type { Evidence } from '../evidence';
import { checkLedgerMoneySafe } from './ledger-money-safe';
import { checkStatusesFinal } from './statuses-final';
import { checkChargedOnce } from './charged-once';
import { checkOutcomeAsExpected } from './outcome-as-expected';
import { checkRecordsAgree } from './records-agree';
import { checkTerminalWithinDeadline } from './terminal-within-deadline';
import type { InvariantResult } from './types';
import { checkWebhooksDelivered } from './webhooks-delivered';

export type { InvariantResult, Violation } from './types';

export function checkInvariants(
  evidence: readonly Evidence[],
  deliveries: readonly WebhookDelivery[],
  zuzSettled: boolean,
  zuzOutages: ReadonlyArray<{ from: number; to: number }> = [],
): InvariantResult[] {
  const transactionOfPayment = new Map<string, string>();
  for (const item of evidence) for (const paymentId of item.paymentIds) transactionOfPayment.set(paymentId, item.run.plan.transactionId);
  return [
    checkTerminalWithinDeadline(evidence),
    checkLedgerMoneySafe(evidence),
    checkRecordsAgree(evidence),
    checkWebhooksDelivered(deliveries, transactionOfPayment, zuzSettled),
    checkOutcomeAsExpected(evidence, zuzOutages),
    checkStatusesFinal(evidence),
    checkChargedOnce(evidence),
  ];
}

/** All the invariants of a chaos run, in the order the report shows them (the checks themselves are shared: tools/invariants/). */
import type { WebhookDelivery } from '../../../sandbox/simulators/zuz';
import type { Evidence } from '../evidence';
import { checkLedgerMoneySafe } from '../../invariants/ledger-money-safe';
import { checkStatusesFinal } from '../../invariants/statuses-final';
import { checkChargedOnce } from '../../invariants/charged-once';
import { checkOutcomeAsExpected } from '../../invariants/outcome-as-expected';
import { checkRecordsAgree } from '../../invariants/records-agree';
import { checkTerminalWithinDeadline } from '../../invariants/terminal-within-deadline';
import type { InvariantResult } from '../../invariants/types';
import { checkWebhooksDelivered } from '../../invariants/webhooks-delivered';
import { checkNothingLeftAfterReconciliation, checkRefundOnceAtZuz, checkRefundsWithinCapture } from '../../invariants/refunds';
import { checkMerchantTold, publishedOutcomes, type MerchantToldEvidence } from '../../invariants/merchant-told';
import { DEFAULT_MERCHANT_ID } from '../../../src/merchants/model';
import { AUTHORIZATION_EXPIRY_MS } from '../service-env';

export type { InvariantResult, Violation } from '../../invariants/types';

export function checkInvariants(
  evidence: readonly Evidence[],
  deliveries: readonly WebhookDelivery[],
  zuzSettled: boolean,
  zuzOutages: ReadonlyArray<{ from: number; to: number }> = [],
  /** Checks made live after the drive (the reconciliation's convergence, merchant isolation through the API). */
  live: readonly InvariantResult[] = [],
  /** What the merchants' endpoints received and what their events list (merchant-told); the run's transactions are all the default merchant's. */
  told?: MerchantToldEvidence,
): InvariantResult[] {
  const transactionOfPayment = new Map<string, string>();
  for (const item of evidence) for (const paymentId of item.paymentIds) transactionOfPayment.set(paymentId, item.run.plan.transactionId);
  return [
    checkTerminalWithinDeadline(evidence),
    checkLedgerMoneySafe(evidence),
    checkRecordsAgree(evidence),
    checkWebhooksDelivered(deliveries, transactionOfPayment, zuzSettled),
    checkOutcomeAsExpected(evidence, AUTHORIZATION_EXPIRY_MS, zuzOutages),
    checkStatusesFinal(evidence),
    checkChargedOnce(evidence),
    checkRefundsWithinCapture(evidence),
    checkRefundOnceAtZuz(evidence),
    checkNothingLeftAfterReconciliation(evidence),
    ...(told ? [checkMerchantTold(publishedOutcomes(evidence, DEFAULT_MERCHANT_ID), told)] : []),
    ...live,
  ];
}

/**
 * Invariant 5: each kind ended in the terminal state it is designed for, with its failure code
 * and captured amount. Two departures are the flow doing its job and are counted apart:
 * - the client's capture or cancel was sent only when the authorization was expiring, or could
 *   not get through until then (faults held the client up, e.g. its polls or its request during
 *   a Temporal restart, while the expiry timer kept running): expiry is then right;
 * - the transaction lived through an opt-in Zuz outage and failed the way the flow fails when Zuz
 *   stays down (provider_unavailable, authorization_timeout, capture_failed; nothing captured).
 *   Whether that left money held is invariant 2's business (and invariant 3 compares records).
 */
import type { TransactionView } from '../../src/transaction/model';
import { type TransactionEvidence as Evidence, finalView, type InvariantResult, type Violation } from './types';

/** A request sent this close to the expiry races it fairly. */
const EXPIRY_RACE_MS = 1000;

const OUTAGE_FAILURES = new Set(['provider_unavailable', 'authorization_timeout', 'capture_failed']);

export function checkOutcomeAsExpected(
  evidence: readonly Evidence[],
  authorizationExpiryMs: number,
  zuzOutages: ReadonlyArray<{ from: number; to: number }> = [],
): InvariantResult {
  const violations: Violation[] = [];
  let failedByOutage = 0;
  let clientTooLate = 0;
  for (const item of evidence) {
    const { plan, startedAt, terminalAt } = item.run;
    if (startedAt === undefined) continue; // counted by invariant 1
    const view = finalView(item);
    const expected = plan.expected;
    const matches =
      view !== undefined &&
      view.status === expected.status &&
      view.failure?.code === expected.failureCode &&
      view.capturedAmount === expected.capturedAmount;
    if (matches) continue;
    if (expiredBeforeTheClientAsked(item, view, authorizationExpiryMs)) {
      clientTooLate++;
      continue;
    }
    const livedThroughOutage = zuzOutages.some((outage) => startedAt <= outage.to && (terminalAt ?? Infinity) >= outage.from);
    if (livedThroughOutage && isOutageFailure(view)) {
      failedByOutage++;
      continue;
    }
    const got = view
      ? `${view.status}${view.failure ? `/${view.failure.code}` : ''} captured ${view.capturedAmount}`
      : 'nothing (never seen)';
    const client =
      item.run.actionStatus !== undefined
        ? `; the ${plan.action.type} request was answered ${item.run.actionStatus} ${JSON.stringify(item.run.actionAnswer)}`
        : '';
    violations.push({
      transactionId: plan.transactionId,
      why: `${plan.kind}: expected ${expected.status}${expected.failureCode ? `/${expected.failureCode}` : ''} captured ${expected.capturedAmount}, got ${got}${client}`,
    });
  }
  return {
    name: 'outcome-as-expected',
    description: 'each kind ended in its expected terminal status (and failure code, captured amount)',
    violations,
    notes: { expiredBeforeTheClientAsked: clientTooLate, ...(zuzOutages.length ? { failedByZuzOutage: failedByOutage } : {}) },
  };
}

function isOutageFailure(view: TransactionView | undefined): boolean {
  return view?.status === 'failed' && OUTAGE_FAILURES.has(view.failure?.code ?? '') && view.capturedAmount === 0;
}

/** Cancelled by the expiry, and the client's request left or got through (if at all) only when the authorization was about to expire. */
function expiredBeforeTheClientAsked(item: Evidence, view: TransactionView | undefined, authorizationExpiryMs: number): boolean {
  if (item.run.plan.action.type === 'none' || view?.status !== 'cancelled' || view.failure?.code !== 'authorization_expired') return false;
  const held = view.steps.find((step) => step.name === 'awaitCaptureRequest');
  if (!held) return false;
  const expiresAt = Date.parse(held.startedAt) + authorizationExpiryMs;
  const { actionSentAt, actionAnsweredAt } = item.run;
  if (actionSentAt === undefined || actionSentAt >= expiresAt - EXPIRY_RACE_MS) return true;
  // Refused as too late, and answered only after the expiry: the request was held up on its way.
  return item.run.actionStatus === 409 && actionAnsweredAt !== undefined && actionAnsweredAt >= expiresAt - EXPIRY_RACE_MS;
}

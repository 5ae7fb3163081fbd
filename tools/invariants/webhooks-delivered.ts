/**
 * Invariant 4: no webhook lost. Every event Zuz meant to send (anything not swallowed by a 'drop'
 * or 'none' fault) has an attempt the API answered 2xx by the end, and a 2xx that says where the
 * event went: to its workflow (`delivered`, or `duplicate`: an earlier attempt's signal went
 * through — the API notes an event id only after Temporal took it — though its answer was lost
 * to a timeout) or to the late-event store (`stored`), not `ignored`.
 * Events under 'none' are never recorded; under 'drop' they are recorded as dropped, and excused.
 * A void's event carries no transaction id, and the record learns a payment's transaction when
 * the outcome is written, so a void event that arrives while its workflow still runs is ignored
 * by design (the workflow has the void's answer from the call itself): counted, not a violation.
 */
import type { WebhookDelivery } from '../../sandbox/simulators/zuz';
import type { InvariantResult, Violation } from './types';

export function checkWebhooksDelivered(
  deliveries: readonly WebhookDelivery[],
  transactionOfPayment: ReadonlyMap<string, string>,
  settled: boolean,
): InvariantResult {
  const byEvent = new Map<string, WebhookDelivery[]>();
  for (const delivery of deliveries) {
    const attempts = byEvent.get(delivery.eventId) ?? [];
    attempts.push(delivery);
    byEvent.set(delivery.eventId, attempts);
  }
  const violations: Violation[] = [];
  let delivered = 0;
  let dropped = 0;
  let retried = 0;
  let voidsIgnoredWhileRunning = 0;
  const failedAttemptsByReason: Record<string, number> = {};
  for (const delivery of deliveries) {
    if (delivery.outcome !== 'failed') continue;
    const reason = delivery.statusCode !== undefined ? `HTTP ${delivery.statusCode}` : (delivery.error ?? 'unknown');
    failedAttemptsByReason[reason] = (failedAttemptsByReason[reason] ?? 0) + 1;
  }
  for (const [eventId, attempts] of byEvent) {
    if (attempts.every((attempt) => attempt.outcome === 'dropped')) {
      dropped++;
      continue;
    }
    if (attempts.some((attempt) => attempt.outcome === 'failed')) retried++;
    const accepted = attempts.find((attempt) => attempt.outcome === 'delivered');
    if (accepted) {
      delivered++;
      const where = outcomeOf(accepted.answer);
      if (where === 'ignored' && accepted.eventType.startsWith('payment.void.')) voidsIgnoredWhileRunning++;
      else if (where !== 'delivered' && where !== 'duplicate' && where !== 'stored') {
        violations.push({
          eventId,
          transactionId: transactionOfPayment.get(accepted.paymentId),
          why: `${accepted.eventType} on ${accepted.paymentId}: answered ${accepted.statusCode} but ${where ?? 'with no outcome'}: it reached neither its workflow nor the late-event store`,
        });
      }
      continue;
    }
    const last = attempts[attempts.length - 1];
    violations.push({
      eventId,
      transactionId: transactionOfPayment.get(last.paymentId),
      why: `${last.eventType} on ${last.paymentId}: ${attempts.length} attempt(s), none answered 2xx (last: ${last.statusCode ?? last.error})`,
    });
  }
  return {
    name: 'webhooks-delivered',
    description: 'every webhook Zuz meant to send reached its workflow or the late-event store (none lost)',
    violations,
    notes: {
      events: byEvent.size,
      delivered,
      droppedByFault: dropped,
      neededRetries: retried,
      voidEventsIgnoredWhileRunning: voidsIgnoredWhileRunning,
      attempts: deliveries.length,
      failedAttemptsByReason,
      simulatorSettled: settled,
    },
  };
}

/** The API's `{"outcome": ...}` answer to a webhook. */
function outcomeOf(answer: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(answer ?? '') as { outcome?: unknown };
    return typeof parsed.outcome === 'string' ? parsed.outcome : undefined;
  } catch {
    return undefined;
  }
}

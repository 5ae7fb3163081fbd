/**
 * Invariant 4: no webhook lost. Every event Zuz meant to send (anything not swallowed by a 'drop'
 * or 'none' fault) has an attempt the API answered 2xx by the end. Events under 'none' are never
 * recorded; under 'drop' they are recorded as dropped, and excused.
 */
import type { WebhookDelivery } from '../../../sandbox/simulators/zuz';
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
    if (attempts.some((attempt) => attempt.outcome === 'delivered')) {
      delivered++;
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
    description: 'every webhook Zuz meant to send was delivered with a 2xx (none lost)',
    violations,
    notes: {
      events: byEvent.size,
      delivered,
      droppedByFault: dropped,
      neededRetries: retried,
      attempts: deliveries.length,
      failedAttemptsByReason,
      simulatorSettled: settled,
    },
  };
}

/**
 * merchant-told (issue 33): every terminal status published for a transaction and every refund
 * outcome is in its merchant's events, and every event of the merchant reaches every endpoint
 * subscribed to it — by event id, answered 2xx at least once — once the endpoint's faults have
 * cleared, with a `Pos-Signature` that the docs' snippet verifies. An endpoint is told nothing of
 * another merchant and nothing it did not subscribe to.
 *
 * The source fills in what the merchant saw: its events as `GET /v1/events` lists them, and each
 * endpoint's receipts (sandbox/receiver: the signature checked at arrival, since a later check
 * would refuse a signature older than the snippet's tolerance).
 */
import { TERMINAL_STATUSES } from '../../src/transaction/model';
import { finalView, type InvariantResult, type TransactionEvidence, type Violation } from './types';

/** An outcome the run saw published: a transaction's terminal status, or a refund's outcome in the record. */
export interface PublishedOutcome {
  merchant: string;
  transactionId: string;
  /** The event type that must tell of it: `transaction.<status>` or `refund.<status>`. */
  type: string;
  refundId?: string;
}

/** One event as its merchant's `GET /v1/events` lists it. */
export interface ToldEvent {
  merchant: string;
  id: string;
  type: string;
  transactionId: string;
  refundId?: string;
  /** ISO time (`created`). */
  created: string;
}

/** What one endpoint received (sandbox/receiver's receipts, in the fields the check reads). */
export interface EndpointReceipts {
  merchant: string;
  endpointId: string;
  /** The types it subscribed to; null: every type. */
  events: string[] | null;
  /** ISO time it was registered: events created before it are not its to receive. */
  createdAt: string;
  receipts: ReadonlyArray<{
    eventId?: string;
    type?: string;
    signature: 'verified' | 'refused' | 'unchecked';
    answer: number | 'dropped' | 'sender-gone';
  }>;
}

export interface MerchantToldEvidence {
  /** Every merchant's events, each read with its own key. */
  events: ToldEvent[];
  endpoints: EndpointReceipts[];
  /** Whether the wait for deliveries after the faults cleared ended with nothing missing (false: its deadline passed). */
  settled?: boolean;
  /** Milliseconds from the faults clearing to the last first 2xx an endpoint owed (0: all were told before). */
  settledAfterMs?: number;
}

/** What the transactions published, by the most authoritative view of each (the workflow's result, else the API's) and the record's refunds. */
export function publishedOutcomes(evidence: readonly TransactionEvidence[], merchant: string): PublishedOutcome[] {
  const published: PublishedOutcome[] = [];
  for (const item of evidence) {
    const transactionId = item.run.plan.transactionId;
    const status = finalView(item)?.status ?? item.row?.status;
    if (status && (TERMINAL_STATUSES as readonly string[]).includes(status))
      published.push({ merchant, transactionId, type: `transaction.${status}` });
    for (const refund of item.refunds ?? [])
      if (refund.status === 'succeeded' || refund.status === 'failed')
        published.push({ merchant, transactionId, type: `refund.${refund.status}`, refundId: refund.refundId });
  }
  return published;
}

const is2xx = (answer: number | string) => typeof answer === 'number' && answer >= 200 && answer < 300;

/** Whether the endpoint takes the event: its merchant's, a type it subscribed to, made since it was registered. */
export function endpointTakes(endpoint: EndpointReceipts, event: ToldEvent): boolean {
  return (
    event.merchant === endpoint.merchant &&
    (endpoint.events === null || endpoint.events.includes(event.type)) &&
    Date.parse(event.created) >= Date.parse(endpoint.createdAt)
  );
}

/** The deliveries still missing: (endpoint, event) pairs the endpoint takes but never answered 2xx. */
export function missingDeliveries(
  told: Pick<MerchantToldEvidence, 'events' | 'endpoints'>,
): Array<{ endpointId: string; event: ToldEvent }> {
  const missing: Array<{ endpointId: string; event: ToldEvent }> = [];
  for (const endpoint of told.endpoints) {
    const answered = new Set(endpoint.receipts.filter((r) => is2xx(r.answer)).map((r) => r.eventId));
    for (const event of told.events)
      if (endpointTakes(endpoint, event) && !answered.has(event.id)) missing.push({ endpointId: endpoint.endpointId, event });
  }
  return missing;
}

export function checkMerchantTold(published: readonly PublishedOutcome[], told: MerchantToldEvidence): InvariantResult {
  const violations: Violation[] = [];
  const key = (merchant: string, transactionId: string, type: string, refundId?: string) =>
    JSON.stringify([merchant, transactionId, type, refundId ?? null]);
  const eventFor = new Map(told.events.map((event) => [key(event.merchant, event.transactionId, event.type, event.refundId), event]));

  // 1. Every published outcome has its event.
  for (const outcome of published) {
    if (eventFor.has(key(outcome.merchant, outcome.transactionId, outcome.type, outcome.refundId))) continue;
    violations.push({
      transactionId: outcome.transactionId,
      why: `${outcome.type}${outcome.refundId ? ` (refund ${outcome.refundId})` : ''} was published but no such event is in the merchant's events`,
    });
  }

  // 2. Every event reaches every endpoint that takes it, answered 2xx at least once.
  for (const { endpointId, event } of missingDeliveries(told)) {
    const endpoint = told.endpoints.find((e) => e.endpointId === endpointId)!;
    const tries = endpoint.receipts.filter((r) => r.eventId === event.id).map((r) => String(r.answer));
    violations.push({
      transactionId: event.transactionId,
      eventId: event.id,
      why: `${event.type} never reached endpoint ${endpointId} with a 2xx after its faults cleared (${tries.length ? `its requests were answered: ${tries.join(', ')}` : 'never received'})`,
    });
  }

  // 3. Every request verified, and told only what the endpoint's merchant subscribed to.
  const byId = new Map(told.events.map((event) => [event.id, event]));
  const perAnswer: Record<string, number> = {};
  let duplicates = 0;
  let retriedEvents = 0;
  for (const endpoint of told.endpoints) {
    const answered = new Map<string, number>();
    const failedFirst = new Set<string>();
    for (const receipt of endpoint.receipts) {
      const answer = typeof receipt.answer === 'number' ? `HTTP ${receipt.answer}` : receipt.answer;
      perAnswer[answer] = (perAnswer[answer] ?? 0) + 1;
      const id = receipt.eventId ?? '(no id)';
      if (is2xx(receipt.answer)) answered.set(id, (answered.get(id) ?? 0) + 1);
      else if (!answered.has(id)) failedFirst.add(id);
      const event = receipt.eventId ? byId.get(receipt.eventId) : undefined;
      if (receipt.signature !== 'verified')
        violations.push({
          eventId: receipt.eventId,
          transactionId: event?.transactionId,
          why: `endpoint ${endpoint.endpointId} got ${receipt.type ?? 'a request'} whose Pos-Signature was ${receipt.signature === 'refused' ? 'refused by the documented snippet' : 'not checked (no secret)'}`,
        });
      if (!event) {
        violations.push({
          eventId: receipt.eventId,
          why: `endpoint ${endpoint.endpointId} (merchant ${endpoint.merchant}) got ${receipt.type ?? 'a request'} that is none of its merchant's events`,
        });
      } else if (event.merchant !== endpoint.merchant) {
        violations.push({
          eventId: event.id,
          why: `endpoint ${endpoint.endpointId} of merchant ${endpoint.merchant} was told merchant ${event.merchant}'s ${event.type}`,
        });
      } else if (endpoint.events !== null && !endpoint.events.includes(event.type)) {
        violations.push({
          eventId: event.id,
          transactionId: event.transactionId,
          why: `endpoint ${endpoint.endpointId} was sent ${event.type}, which it did not subscribe to`,
        });
      }
    }
    duplicates += [...answered.values()].reduce((sum, n) => sum + n - 1, 0);
    retriedEvents += [...failedFirst].filter((id) => answered.has(id)).length;
  }

  return {
    name: 'merchant-told',
    description:
      "every terminal status and refund outcome published is in the merchant's events, and each event reaches every subscribed endpoint (2xx, by id) once its faults clear, its signature verified by the documented snippet",
    violations,
    notes: {
      published: published.length,
      events: told.events.length,
      eventsPerType: countBy(told.events, (event) => event.type),
      endpoints: told.endpoints.length,
      requests: told.endpoints.reduce((sum, e) => sum + e.receipts.length, 0),
      requestsPerAnswer: perAnswer,
      deliveredAfterFailedRequests: retriedEvents,
      duplicateDeliveries: duplicates,
      settled: told.settled,
      settledAfterMs: told.settledAfterMs,
    },
  };
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return counts;
}

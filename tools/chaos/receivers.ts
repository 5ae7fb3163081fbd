/**
 * The merchants' endpoints of a chaos run (issue 33): one receiver per merchant (sandbox/receiver,
 * which checks every `Pos-Signature` with the docs' snippet), registered through the API with the
 * merchant's own key before the drive, given the seeded fault windows (answer 500, hang, drop the
 * connection) during it, mended after it; then the run waits for every event to arrive and
 * `merchant-told` judges what each endpoint received against what each merchant's events list.
 */
import { DEFAULT_MERCHANT_ID } from '../../src/merchants/model';
import { startEventReceiver, type EventReceiver } from '../../sandbox/receiver/receiver';
import type { EndpointReceipts, MerchantToldEvidence, ToldEvent } from '../invariants/merchant-told';
import { missingDeliveries } from '../invariants/merchant-told';
import { ApiClient, type ApiAnswer } from './api-client';
import { API_KEY, OTHER_MERCHANT_KEY } from './service-env';
import { sleep } from './sleep';

/** The run's merchants, in the order the fault schedule numbers their receivers: the one that drives, and the one that only probes. */
export const CHAOS_MERCHANTS = [
  { merchant: DEFAULT_MERCHANT_ID, key: API_KEY },
  { merchant: 'chaos-other', key: OTHER_MERCHANT_KEY },
] as const;

/**
 * The delivery schedule of the run's workers: the sandbox's first retry after 1 s, at most 10 s
 * apart (instead of 30 s, so a delivery is back within seconds of its endpoint's faults clearing),
 * and each attempt cut after 3 s (instead of 10 s, so a hang window costs seconds, not minutes).
 */
export const MERCHANT_EVENTS_ENV = {
  MERCHANT_EVENTS_RETRY_INITIAL: '1 second',
  MERCHANT_EVENTS_RETRY_MAX: '10 seconds',
  MERCHANT_EVENTS_ATTEMPT_TIMEOUT_MS: '3000',
};

export interface MerchantEndpoint {
  merchant: string;
  key: string;
  receiver: EventReceiver;
  endpointId: string;
  events: string[] | null;
  createdAt: string;
}

interface Registered {
  id: string;
  url: string;
  events: string[] | null;
  createdAt: string;
  secret: string;
}

/** Starts a receiver per merchant and registers it (every event type) with the merchant's key. */
export async function registerMerchantEndpoints(apiUrl: string, giveUpAt: number): Promise<MerchantEndpoint[]> {
  const endpoints: MerchantEndpoint[] = [];
  try {
    for (const { merchant, key } of CHAOS_MERCHANTS) {
      const receiver = await startEventReceiver();
      const answer = await new ApiClient(apiUrl, key).call<Registered>(
        'POST',
        '/v1/webhook-endpoints',
        { url: receiver.url },
        { giveUpAt },
      );
      if (answer.status !== 201) {
        await receiver.close();
        throw new Error(`registering ${merchant}'s endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      receiver.setSecret(answer.body.secret);
      endpoints.push({ merchant, key, receiver, endpointId: answer.body.id, events: answer.body.events, createdAt: answer.body.createdAt });
    }
  } catch (err) {
    await closeEndpoints(endpoints);
    throw err;
  }
  return endpoints;
}

export async function closeEndpoints(endpoints: readonly MerchantEndpoint[]): Promise<void> {
  await Promise.all(endpoints.map((endpoint) => endpoint.receiver.close().catch(() => undefined)));
}

type EventsPage = {
  events?: Array<{ id: string; type: string; transactionId: string; created: string; data?: { refundId?: unknown } }>;
  nextCursor?: string;
};

/** Every merchant's events, each read with its own key (`GET /v1/events`, every page). */
export async function readMerchantEvents(apiUrl: string, endpoints: readonly MerchantEndpoint[], giveUpAt: number): Promise<ToldEvent[]> {
  const events: ToldEvent[] = [];
  for (const { merchant, key } of endpoints) {
    const api = new ApiClient(apiUrl, key);
    for (let cursor: string | undefined = '', pages = 0; cursor !== undefined && pages < 1000; pages++) {
      const page: ApiAnswer<EventsPage> = await api.call<EventsPage>(
        'GET',
        `/v1/events?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        undefined,
        {
          giveUpAt,
        },
      );
      if (page.status !== 200) throw new Error(`GET /v1/events for ${merchant} answered ${page.status}: ${JSON.stringify(page.body)}`);
      for (const event of page.body.events ?? [])
        events.push({
          merchant,
          id: event.id,
          type: event.type,
          transactionId: event.transactionId,
          created: event.created,
          ...(typeof event.data?.refundId === 'string' ? { refundId: event.data.refundId } : {}),
        });
      cursor = page.body.nextCursor;
    }
  }
  return events;
}

export function receiptsOf(endpoints: readonly MerchantEndpoint[]): EndpointReceipts[] {
  return endpoints.map((endpoint) => ({
    merchant: endpoint.merchant,
    endpointId: endpoint.endpointId,
    events: endpoint.events,
    createdAt: endpoint.createdAt,
    receipts: endpoint.receiver.receipts.map((receipt) => ({ ...receipt })),
  }));
}

/**
 * After the faults cleared: waits until every event of every merchant has reached every endpoint
 * that takes it (or `waitMs` passed), then answers what `merchant-told` judges.
 */
export async function awaitMerchantsTold(
  apiUrl: string,
  endpoints: readonly MerchantEndpoint[],
  faultsClearedAt: number,
  waitMs: number,
): Promise<MerchantToldEvidence> {
  const giveUpAt = Date.now() + waitMs;
  for (;;) {
    const events = await readMerchantEvents(apiUrl, endpoints, giveUpAt + 60_000);
    const told = { events, endpoints: receiptsOf(endpoints) };
    const missing = missingDeliveries(told);
    if (!missing.length)
      return { ...told, settled: true, settledAfterMs: Math.max(0, lastFirstDelivery(endpoints, events) - faultsClearedAt) };
    if (Date.now() > giveUpAt) return { ...told, settled: false };
    await sleep(2_000);
  }
}

/** Epoch ms of the latest first 2xx among the deliveries the endpoints owed: when the last of them was told. */
function lastFirstDelivery(endpoints: readonly MerchantEndpoint[], events: readonly ToldEvent[]): number {
  const owed = new Set(events.map((event) => event.id));
  let last = 0;
  for (const endpoint of endpoints) {
    const first = new Map<string, number>();
    for (const receipt of endpoint.receiver.receipts)
      if (
        typeof receipt.answer === 'number' &&
        receipt.answer < 300 &&
        receipt.eventId &&
        owed.has(receipt.eventId) &&
        !first.has(receipt.eventId)
      )
        first.set(receipt.eventId, receipt.at);
    for (const at of first.values()) last = Math.max(last, at);
  }
  return last;
}

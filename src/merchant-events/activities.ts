/**
 * Delivering one event to one merchant endpoint (the deliverMerchantEvent workflow's steps). Every
 * attempt is recorded, whatever it met; a 2xx ends the delivery, a 410 disables the endpoint, any
 * other answer or error (a timeout included) fails the attempt for Temporal to retry with backoff.
 * Nothing here touches a payment: a delivery failing only fails its own workflow.
 */
import { performance } from 'node:perf_hooks';
import { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../shared/database';
import { MerchantEventStore } from './store';
import { SIGNATURE_HEADER, signMerchantEvent } from './signature';

/** The activity failure that ends a delivery at once: the endpoint answered 410 Gone and is disabled. */
export const ENDPOINT_GONE = 'EndpointGone';
/** Each attempt's own limit (the workflow's `attemptTimeoutMs`, 10 s by default). */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

export type DeliveryResult = 'delivered' | 'endpoint_disabled' | 'event_unknown';

export interface DeliveryOrder {
  endpointId: string;
  eventId: string;
  attemptTimeoutMs?: number;
}

/** The body sent: the event exactly as `GET /v1/events` lists it. */
export function eventBody(event: Awaited<ReturnType<MerchantEventStore['event']>>): string {
  return JSON.stringify(event);
}

export function createMerchantEventActivities(db: Database, send: typeof fetch = fetch) {
  const store = new MerchantEventStore(db);
  return {
    async postMerchantEvent({
      endpointId,
      eventId,
      attemptTimeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS,
    }: DeliveryOrder): Promise<DeliveryResult> {
      const target = await store.deliveryTarget(endpointId);
      if (!target || target.disabled) {
        if (target) await store.setDeliveryStatus(endpointId, eventId, 'endpoint_disabled');
        return 'endpoint_disabled';
      }
      const event = await store.event(eventId);
      if (!event) return 'event_unknown';
      const body = eventBody(event);
      const started = performance.now();
      let statusCode: number | undefined;
      let error: string | undefined;
      try {
        const response = await send(target.url, {
          method: 'POST',
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(attemptTimeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'pos-payments-events/1',
            'pos-event-id': event.id,
            [SIGNATURE_HEADER]: signMerchantEvent(body, target.secrets, Date.now() / 1000),
          },
        });
        statusCode = response.status;
        await response.body?.cancel().catch(() => undefined);
      } catch (err) {
        const name = err instanceof Error ? err.name : '';
        error =
          name === 'TimeoutError' || name === 'AbortError'
            ? `timeout after ${attemptTimeoutMs} ms`
            : `${err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)}`.slice(0, 200);
      }
      await store.recordAttempt({ endpointId, eventId, statusCode, error, durationMs: performance.now() - started });
      if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) {
        await store.setDeliveryStatus(endpointId, eventId, 'delivered');
        return 'delivered';
      }
      if (statusCode === 410) {
        await store.disableEndpoint(undefined, endpointId, 'the endpoint answered 410 Gone');
        await store.setDeliveryStatus(endpointId, eventId, 'endpoint_disabled');
        throw ApplicationFailure.create({ type: ENDPOINT_GONE, message: 'The endpoint answered 410 Gone: disabled', nonRetryable: true });
      }
      throw ApplicationFailure.create({
        type: 'DeliveryFailed',
        message: statusCode !== undefined ? `The endpoint answered ${statusCode}` : (error ?? 'no answer'),
      });
    },

    /** The delivery's end without a 2xx: its deadline passed (every attempt is in the attempts list). */
    async abandonMerchantEventDelivery({ endpointId, eventId }: DeliveryOrder): Promise<void> {
      await store.setDeliveryStatus(endpointId, eventId, 'abandoned');
    },
  };
}

export type MerchantEventActivities = ReturnType<typeof createMerchantEventActivities>;

/**
 * One event to one merchant endpoint, at least once (docs/merchant-events.md): the attempt is an
 * activity that Temporal retries with exponential backoff until a 2xx or the deadline (3 days by
 * default); a 410 disables the endpoint and ends it. One workflow per event and endpoint, so a
 * slow or dead endpoint holds up nothing but its own deliveries.
 */
import type { Duration } from '@temporalio/common';
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import { activityFailedWith } from '../workflows/activity-failure';
import type { DeliveryOrder, DeliveryResult, MerchantEventActivities } from './activities';

export interface DeliveryRetry {
  /** The first retry's wait; doubled each time up to `maximumInterval`. */
  initialInterval: Duration;
  maximumInterval: Duration;
  /** After this long without a 2xx the delivery is abandoned (every attempt stays listed). */
  deadline: Duration;
  /** Each attempt's own limit, in milliseconds (10 s by default). */
  attemptTimeoutMs?: number;
}

export interface DeliverMerchantEventInput {
  endpointId: string;
  eventId: string;
  retry: DeliveryRetry;
}

/** The activity failure type of a 410 (src/merchant-events/activities.ts ENDPOINT_GONE). */
const ENDPOINT_GONE = 'EndpointGone';

export async function deliverMerchantEvent({
  endpointId,
  eventId,
  retry,
}: DeliverMerchantEventInput): Promise<DeliveryResult | 'abandoned' | 'endpoint_gone'> {
  const attemptTimeoutMs = retry.attemptTimeoutMs ?? 10_000;
  const order: DeliveryOrder = { endpointId, eventId, attemptTimeoutMs };
  const { postMerchantEvent } = proxyActivities<Pick<MerchantEventActivities, 'postMerchantEvent'>>({
    startToCloseTimeout: attemptTimeoutMs + 5_000,
    scheduleToCloseTimeout: retry.deadline,
    retry: {
      initialInterval: retry.initialInterval,
      maximumInterval: retry.maximumInterval,
      backoffCoefficient: 2,
      nonRetryableErrorTypes: [ENDPOINT_GONE],
    },
  });
  const { abandonMerchantEventDelivery } = proxyActivities<Pick<MerchantEventActivities, 'abandonMerchantEventDelivery'>>({
    startToCloseTimeout: '10 seconds',
  });
  try {
    return await postMerchantEvent(order);
  } catch (err) {
    if (activityFailedWith(err, ENDPOINT_GONE)) return 'endpoint_gone';
    if (!(err instanceof ActivityFailure)) throw err;
    await abandonMerchantEventDelivery(order);
    return 'abandoned';
  }
}

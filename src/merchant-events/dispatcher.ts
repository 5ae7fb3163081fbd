/**
 * The outbox's dispatcher, in the worker process: every second it reads the events not yet
 * dispatched and starts one deliverMerchantEvent workflow per subscribed endpoint, then marks the
 * event dispatched. The workflow id (endpoint, event, round) makes a second start of the same
 * delivery a no-op, so a crash between the start and the mark, or two workers dispatching at
 * once, never sends an event twice for one round. It writes nothing the payment flow reads, and a
 * failure (Temporal unreachable) leaves the event to the next tick.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Database } from '../shared/database';
import { MerchantEventStore } from './store';
import type { DeliverMerchantEventInput, DeliveryRetry } from './workflow';

/** Production: the first retry after 30 s, doubling up to an hour, for 3 days. */
export const PRODUCTION_DELIVERY_RETRY: DeliveryRetry = { initialInterval: '30 seconds', maximumInterval: '1 hour', deadline: '3 days' };
/** The sandbox: the first retries within seconds, so a newcomer sees a recovery happen. */
export const SANDBOX_DELIVERY_RETRY: DeliveryRetry = { initialInterval: '1 second', maximumInterval: '30 seconds', deadline: '3 days' };

/**
 * The delivery schedule from the environment: MERCHANT_EVENTS_RETRY_INITIAL, _MAX and _DEADLINE
 * (durations such as `30 seconds`, `3 days`), MERCHANT_EVENTS_ATTEMPT_TIMEOUT_MS; unset, production's
 * defaults in production, the sandbox's anywhere else (`npm start`, POS_SANDBOX=true).
 */
/** Production as src/shared/config.ts knows it: NODE_ENV=production without POS_SANDBOX=true. */
export function isProductionEnv(env: NodeJS.ProcessEnv): boolean {
  return env.NODE_ENV === 'production' && !['true', '1'].includes(env.POS_SANDBOX ?? '');
}

export function deliveryRetryFromEnv(env: NodeJS.ProcessEnv = process.env): DeliveryRetry {
  const base = isProductionEnv(env) ? PRODUCTION_DELIVERY_RETRY : SANDBOX_DELIVERY_RETRY;
  const timeout = Number(env.MERCHANT_EVENTS_ATTEMPT_TIMEOUT_MS);
  return {
    initialInterval: duration(env.MERCHANT_EVENTS_RETRY_INITIAL) ?? base.initialInterval,
    maximumInterval: duration(env.MERCHANT_EVENTS_RETRY_MAX) ?? base.maximumInterval,
    deadline: duration(env.MERCHANT_EVENTS_RETRY_DEADLINE) ?? base.deadline,
    ...(Number.isInteger(timeout) && timeout > 0 ? { attemptTimeoutMs: timeout } : {}),
  };
}

/** A duration as Temporal reads it (`500 ms`, `30 seconds`, `3 days`); anything else: unset. */
function duration(value: string | undefined): Duration | undefined {
  return value && /^\d+(\.\d+)? ?(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?)$/i.test(value.trim())
    ? (value.trim() as Duration)
    : undefined;
}

export function deliveryWorkflowId(endpointId: string, eventId: string, round: number): string {
  return `merchant-event-${endpointId}-${eventId}-${round}`;
}

export interface DispatcherOptions {
  client: Client;
  db: Database;
  taskQueue: string;
  retry?: DeliveryRetry;
  intervalMs?: number;
  /** Told of a tick that failed (the next tick tries again). */
  onError?: (err: unknown) => void;
}

export interface Dispatcher {
  /** One pass over the undispatched events (what each tick does); how many deliveries it started. */
  dispatchOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startMerchantEventDispatcher(options: DispatcherOptions): Dispatcher {
  const store = new MerchantEventStore(options.db);
  const retry = options.retry ?? deliveryRetryFromEnv();
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();

  async function dispatchOnce(): Promise<number> {
    let started = 0;
    for (const event of await store.undispatched(100)) {
      for (const endpointId of await store.subscribersOf(event)) {
        await store.notePending(endpointId, event.id);
        try {
          await options.client.workflow.start('deliverMerchantEvent', {
            workflowId: deliveryWorkflowId(endpointId, event.id, event.round),
            taskQueue: options.taskQueue,
            args: [{ endpointId, eventId: event.id, retry } satisfies DeliverMerchantEventInput],
            workflowIdConflictPolicy: 'FAIL',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            staticSummary: `${event.type} ${event.id} to ${endpointId}`,
          });
          started++;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      await store.markDispatched(event.id, event.round);
    }
    return started;
  }

  const tick = () => {
    if (stopped) return;
    running = dispatchOnce()
      .catch((err) => options.onError?.(err))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 1_000);
      });
  };
  let timer: NodeJS.Timeout = setTimeout(tick, 0);

  return {
    dispatchOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

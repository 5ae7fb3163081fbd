/**
 * What Temporal recorded per workflow, from a sample of event histories: how many events, of
 * which kinds, and — for the flow — how long a webhook took to move the workflow on.
 *
 * Webhook -> workflow progress: from the moment the Zuz simulator started POSTing the webhook
 * to the API (its delivery log, this process's clock) to the moment the workflow's next step
 * was durably scheduled (the `ActivityTaskScheduled` event of the step after the wait, the
 * server's clock; same machine). It covers the API's check and signal, the server writing the
 * signal, dispatching a workflow task, the worker running it and the server recording the
 * result. Only transactions whose workflow was waiting for that webhook (the signal ended its
 * grace timer) count; a final answer that beat the wait is not a webhook-driven step.
 */
import type { Client } from '@temporalio/client';
import type { Timestamp } from '@temporalio/common';
import type { WebhookDelivery } from '../../sandbox/simulators/zuz';
import { mapWithConcurrency } from '../chaos/concurrency';

export type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

export interface HistorySample {
  workflows: number;
  eventsPerWorkflow: number[];
  /** Mean count per workflow of each event kind (named after its attributes field). */
  meanByKind: Record<string, number>;
}

export interface WebhookTiming {
  /** Webhook POST started -> workflow's next step scheduled. */
  toProgressMs: number[];
  /** Webhook POST started -> signal recorded in the history (the API's share and the signal write). */
  toSignalMs: number[];
  /** Transactions whose final answer came before the workflow waited for it (not timed). */
  beforeWait: number;
}

export async function fetchHistories(client: Client, workflowIds: readonly string[]): Promise<HistoryEvent[][]> {
  return mapWithConcurrency(workflowIds, 8, async (id) => (await client.workflow.getHandle(id).fetchHistory()).events ?? []);
}

export function summarizeHistories(histories: readonly HistoryEvent[][]): HistorySample {
  const totals: Record<string, number> = {};
  for (const events of histories) {
    for (const event of events) {
      const kind = kindOf(event);
      totals[kind] = (totals[kind] ?? 0) + 1;
    }
  }
  const n = Math.max(1, histories.length);
  return {
    workflows: histories.length,
    eventsPerWorkflow: histories.map((events) => events.length),
    meanByKind: Object.fromEntries(Object.entries(totals).map(([kind, count]) => [kind, count / n])),
  };
}

/** `paymentIdOf(i)`: the Zuz payment of history i; the deliveries: the simulator's log. */
export function webhookTimings(
  histories: readonly HistoryEvent[][],
  paymentIdOf: (index: number) => string | undefined,
  deliveries: readonly WebhookDelivery[],
): WebhookTiming {
  // Zuz sends `payment.authorization.create` with its Pending answer, then `.update` with the final one.
  const finalAuthorizationDelivery = new Map<string, number>();
  for (const delivery of deliveries) {
    if (delivery.eventType === 'payment.authorization.update' && delivery.attempt === 1)
      finalAuthorizationDelivery.set(delivery.paymentId, Date.parse(delivery.at));
  }
  const timing: WebhookTiming = { toProgressMs: [], toSignalMs: [], beforeWait: 0 };
  histories.forEach((events, index) => {
    const paymentId = paymentIdOf(index);
    const sentAt = paymentId ? finalAuthorizationDelivery.get(paymentId) : undefined;
    // The signal that ended the wait is the last one before the grace timer was cancelled.
    const cancelled = events.findIndex((event) => event.timerCanceledEventAttributes);
    if (sentAt === undefined || cancelled < 0) {
      timing.beforeWait++;
      return;
    }
    let signal = cancelled - 1;
    while (signal >= 0 && !events[signal].workflowExecutionSignaledEventAttributes) signal--;
    const next = events.slice(cancelled).find((event) => event.activityTaskScheduledEventAttributes);
    if (signal < 0 || !next) return;
    timing.toSignalMs.push(epochMs(events[signal].eventTime) - sentAt);
    timing.toProgressMs.push(epochMs(next.eventTime) - sentAt);
  });
  return timing;
}

/** An event's time (a protobuf timestamp: seconds and nanoseconds) in milliseconds since the epoch. */
function epochMs(time: Timestamp | null | undefined): number {
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

function kindOf(event: HistoryEvent): string {
  const field = Object.keys(event).find((key) => key.endsWith('EventAttributes') && (event as Record<string, unknown>)[key]);
  return field ? field.replace(/EventAttributes$/, '') : 'unknown';
}

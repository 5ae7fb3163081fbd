/**
 * What Temporal recorded per workflow, from a sample of event histories: how many events, of
 * which kinds, and — for the flow — how long a webhook took to move the workflow on.
 *
 * Webhook -> workflow progress: from the moment the Zuz simulator started POSTing the webhook
 * to the API (its delivery log, this process's clock) to the moment the workflow's next step
 * was durably scheduled (the `ActivityTaskScheduled` event of the step after the wait, the
 * server's clock; same machine). It covers the API's check and signal, the server writing the
 * signal, dispatching a workflow task, the worker running it and the server recording the
 * result. Only transactions whose workflow was already waiting (its grace timer started before
 * the signal) count; a webhook that beat the authorization's answer waits for that instead.
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { WebhookDelivery } from '../../simulators/zuz';
import { mapWithConcurrency } from '../chaos/concurrency';

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

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
  /** Transactions whose webhook came before the workflow waited (not timed). */
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
export function webhookTimings(histories: readonly HistoryEvent[][], paymentIdOf: (index: number) => string | undefined, deliveries: readonly WebhookDelivery[]): WebhookTiming {
  const firstAuthorizationDelivery = new Map<string, number>();
  for (const delivery of deliveries) {
    if (!delivery.eventType.includes('.authorization.') || delivery.attempt !== 1) continue;
    const at = Date.parse(delivery.at);
    const known = firstAuthorizationDelivery.get(delivery.paymentId);
    if (known === undefined || at < known) firstAuthorizationDelivery.set(delivery.paymentId, at);
  }
  const timing: WebhookTiming = { toProgressMs: [], toSignalMs: [], beforeWait: 0 };
  histories.forEach((events, index) => {
    const paymentId = paymentIdOf(index);
    const sentAt = paymentId ? firstAuthorizationDelivery.get(paymentId) : undefined;
    const signal = events.findIndex((event) => event.workflowExecutionSignaledEventAttributes);
    if (sentAt === undefined || signal < 0) return;
    const waiting = events.slice(0, signal).some((event) => event.timerStartedEventAttributes);
    if (!waiting) {
      timing.beforeWait++;
      return;
    }
    const next = events.slice(signal).find((event) => event.activityTaskScheduledEventAttributes);
    timing.toSignalMs.push(tsToMs(events[signal].eventTime) - sentAt);
    if (next) timing.toProgressMs.push(tsToMs(next.eventTime) - sentAt);
  });
  return timing;
}

function kindOf(event: HistoryEvent): string {
  const field = Object.keys(event).find((key) => key.endsWith('EventAttributes') && (event as Record<string, unknown>)[key]);
  return field ? field.replace(/EventAttributes$/, '') : 'unknown';
}

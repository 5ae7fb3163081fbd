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

/** What one workflow cost Temporal, read off its history: the figures a flow-shape lever moves. */
export interface TaskCounts {
  events: number;
  /** Workflow tasks that ran to completion (WorkflowTaskCompleted). */
  workflowTasks: number;
  /** Activity tasks (ActivityTaskScheduled; a retry is an attempt of the same one). */
  activityTasks: number;
  /** Local activities (their markers): run inside a workflow task, no task of their own. */
  localActivities: number;
  signals: number;
  timers: number;
  /** Updates accepted (the till's `Prefer: wait` is one). */
  updates: number;
  /**
   * ActivityTaskScheduled -> ActivityTaskStarted of each activity, server clock (ms). An activity
   * dispatched eagerly is started in the same write as the workflow task that scheduled it (~0 ms);
   * one dispatched through matching waits for a poll to take it.
   */
  activityScheduleToStartMs: number[];
}

export function taskCounts(events: readonly HistoryEvent[]): TaskCounts {
  const scheduledAt = new Map<string, number>();
  const counts: TaskCounts = {
    events: events.length,
    workflowTasks: 0,
    activityTasks: 0,
    localActivities: 0,
    signals: 0,
    timers: 0,
    updates: 0,
    activityScheduleToStartMs: [],
  };
  for (const event of events) {
    if (event.workflowTaskCompletedEventAttributes) counts.workflowTasks++;
    if (event.activityTaskScheduledEventAttributes) {
      counts.activityTasks++;
      scheduledAt.set(String(event.eventId), exactMs(event.eventTime));
    }
    const started = event.activityTaskStartedEventAttributes;
    const scheduled = started ? scheduledAt.get(String(started.scheduledEventId)) : undefined;
    if (scheduled !== undefined) counts.activityScheduleToStartMs.push(Math.round((exactMs(event.eventTime) - scheduled) * 1000) / 1000);
    if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') counts.localActivities++;
    if (event.workflowExecutionSignaledEventAttributes) counts.signals++;
    if (event.timerStartedEventAttributes) counts.timers++;
    if (event.workflowExecutionUpdateAcceptedEventAttributes) counts.updates++;
  }
  return counts;
}

/** An event's time (a protobuf timestamp: seconds and nanoseconds) in milliseconds since the epoch. */
function epochMs(time: Timestamp | null | undefined): number {
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

/** The same, to the microsecond (for spans shorter than a millisecond). */
function exactMs(time: Timestamp | null | undefined): number {
  return Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;
}

function kindOf(event: HistoryEvent): string {
  const field = Object.keys(event).find((key) => key.endsWith('EventAttributes') && (event as Record<string, unknown>)[key]);
  return field ? field.replace(/EventAttributes$/, '') : 'unknown';
}

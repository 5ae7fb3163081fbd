/**
 * How many attempts each step took, read from Temporal's own record of the run: the attempt
 * number of each finished activity in the event history, and of each activity still being
 * retried in the workflow's description. (The workflow cannot see its activities' retries, so
 * the journal it keeps has no attempt counts; Temporal has them, so they are not kept twice.)
 * It reads event types, ids and attempt numbers only, never a payload, so payload encryption
 * (src/infrastructure/payload-codec.ts) leaves it as it is.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { StepRecord } from '../domain/transaction';

export type StepWithAttempts = Omit<StepRecord, 'historyFrom'> & { attempts?: number };

/**
 * Each step's attempts: the step's activity (its own name, or the one it names) is the first of
 * that type scheduled after the step started (`historyFrom`), so steps sharing an activity type
 * (a poll and a read of the payment's fate, say) each find their own. Journals written before
 * steps carried `historyFrom` are matched in order of type instead.
 */
export async function withAttempts(handle: WorkflowHandle, steps: StepRecord[]): Promise<StepWithAttempts[]> {
  const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  const scheduled: Array<{ eventId: number; type: string; activityId: string; attempt?: number }> = [];
  const byScheduledEvent = new Map<number, (typeof scheduled)[number]>();
  for (const event of history.events ?? []) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes?.activityType?.name) {
      const entry = { eventId: Number(event.eventId), type: attributes.activityType.name, activityId: attributes.activityId ?? '' };
      scheduled.push(entry);
      byScheduledEvent.set(entry.eventId, entry);
    }
    const started = event.activityTaskStartedEventAttributes;
    const entry = started ? byScheduledEvent.get(Number(started.scheduledEventId)) : undefined;
    if (entry) entry.attempt = started?.attempt ?? 1;
  }
  // A step still being retried: its attempt so far is in the workflow's description, by activity id.
  for (const activity of description.raw.pendingActivities ?? []) {
    const entry = scheduled.find((s) => s.activityId === activity.activityId);
    if (entry) entry.attempt = activity.attempt ?? entry.attempt;
  }
  const unclaimed = [...scheduled];
  return steps.map(({ historyFrom, ...step }) => {
    const type = step.activity ?? step.name;
    const index = unclaimed.findIndex((s) => s.type === type && (historyFrom === undefined || s.eventId > historyFrom));
    const found = index >= 0 ? unclaimed.splice(index, 1)[0] : undefined;
    return found?.attempt === undefined ? step : { ...step, attempts: found.attempt };
  });
}

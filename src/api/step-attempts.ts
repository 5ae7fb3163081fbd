/**
 * How many attempts each step took, read from Temporal's own record of the run: the attempt
 * number of each finished activity in the event history, and of each activity still being
 * retried in the workflow's description. (The workflow cannot see its activities' retries, so
 * the journal it keeps has no attempt counts; Temporal has them, so they are not kept twice.)
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { StepRecord } from '../domain/transaction';

export type StepWithAttempts = StepRecord & { attempts?: number };

export async function withAttempts(handle: WorkflowHandle, steps: StepRecord[]): Promise<StepWithAttempts[]> {
  const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  const typeByScheduledEvent = new Map<string, string>();
  const finished = new Map<string, number[]>(); // activity type -> attempts, in the order they ran
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name) typeByScheduledEvent.set(String(event.eventId), scheduled.activityType.name);
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const type = typeByScheduledEvent.get(String(started.scheduledEventId));
      if (type) finished.set(type, [...(finished.get(type) ?? []), started.attempt ?? 1]);
    }
  }
  const pending = new Map<string, number>();
  for (const activity of description.raw.pendingActivities ?? []) {
    if (activity.activityType?.name) pending.set(activity.activityType.name, activity.attempt ?? 1);
  }
  return steps.map((step) => {
    const attempts = step.state === 'running' ? pending.get(step.name) : finished.get(step.name)?.shift();
    return attempts === undefined ? step : { ...step, attempts };
  });
}

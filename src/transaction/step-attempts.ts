/**
 * How many attempts each step took, read from Temporal's own record of the run: the attempt
 * number of each finished activity in the event history, and of each activity still being
 * retried in the workflow's description. (The workflow cannot see its activities' retries, so
 * the journal it keeps has no attempt counts; Temporal has them, so they are not kept twice.)
 * Local activities (the database steps before Zuz, since flow v8) are found by the marker each leaves when it
 * ends: one still being retried shows no attempt count until it ends.
 * It reads event types, ids and attempt numbers only, never a payload the codec encodes (a local
 * activity marker's `data` is written by the SDK's core, in clear, after the codec has run), so payload
 * encryption (src/shared/payload-codec.ts) leaves it as it is.
 *
 * Cheap at any history length: a history only grows, so what a run's events said is kept (per
 * run, for the most recently read runs) and each read fetches only the events added since, newest
 * first (GetWorkflowExecutionHistoryReverse). A till polling a transaction that waits costs a
 * describe and no history at all.
 */
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { StepRecord } from './model';

export type StepWithAttempts = Omit<StepRecord, 'historyFrom'> & { attempts?: number };

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The events of a run with an id above `afterEventId`, in any order. */
export type NewEventsReader = (execution: { workflowId: string; runId: string }, afterEventId: number) => Promise<HistoryEvent[]>;

interface ScheduledActivity {
  eventId: number;
  type: string;
  activityId: string;
  attempt?: number;
}

/** What a run's history has shown through `readThrough`. */
interface RunActivities {
  readThrough: number;
  scheduled: ScheduledActivity[];
  byScheduledEvent: Map<number, ScheduledActivity>;
}

const PAGE_SIZE = 200;

/** Reads a run's new events newest first, page by page, down to the first event already read. */
export function reverseHistoryReader(client: Client): NewEventsReader {
  return async (execution, afterEventId) => {
    const events: HistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: client.options.namespace,
        execution,
        maximumPageSize: PAGE_SIZE,
        nextPageToken,
      });
      for (const event of page.history?.events ?? []) {
        if (Number(event.eventId) <= afterEventId) return events;
        events.push(event);
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return events;
  };
}

export class StepAttempts {
  /** Insertion order is recency: the least recently read run is dropped first. */
  private readonly runs = new Map<string, RunActivities>();

  constructor(
    private readonly readNewEvents: NewEventsReader,
    private readonly maxRuns = 10_000,
  ) {}

  /**
   * Each step's attempts: the step's activity (its own name, or the one it names) is the first of
   * that type scheduled after the step started (`historyFrom`), so steps sharing an activity type
   * (a poll and a read of the payment's fate, say) each find their own. Journals written before
   * steps carried `historyFrom` are matched in order of type instead.
   */
  async of(handle: WorkflowHandle, steps: StepRecord[], described?: WorkflowExecutionDescription): Promise<StepWithAttempts[]> {
    const description = described ?? (await handle.describe());
    const run = await this.activitiesOf({ workflowId: description.workflowId, runId: description.runId }, description.historyLength);
    // A step still being retried: its attempt so far is in the workflow's description, by activity id.
    const pending = new Map((description.raw.pendingActivities ?? []).map((a) => [a.activityId ?? '', a.attempt ?? undefined]));
    const unclaimed = [...run.scheduled];
    return steps.map(({ historyFrom, ...step }) => {
      const type = step.activity ?? step.name;
      const index = unclaimed.findIndex((s) => s.type === type && (historyFrom === undefined || s.eventId > historyFrom));
      const found = index >= 0 ? unclaimed.splice(index, 1)[0] : undefined;
      const attempts = (found && pending.get(found.activityId)) ?? found?.attempt;
      return attempts === undefined ? step : { ...step, attempts };
    });
  }

  private async activitiesOf(execution: { workflowId: string; runId: string }, historyLength: number): Promise<RunActivities> {
    const key = `${execution.workflowId}/${execution.runId}`;
    const run: RunActivities = this.runs.get(key) ?? { readThrough: 0, scheduled: [], byScheduledEvent: new Map() };
    if (historyLength > run.readThrough) {
      const events = await this.readNewEvents(execution, run.readThrough);
      events.sort((a, b) => Number(a.eventId) - Number(b.eventId));
      for (const event of events) {
        // Two reads of the same run at once both fetch the new events: the one that lands second skips what the first took in.
        if (Number(event.eventId) <= run.readThrough) continue;
        const attributes = event.activityTaskScheduledEventAttributes;
        if (attributes?.activityType?.name) {
          const entry = { eventId: Number(event.eventId), type: attributes.activityType.name, activityId: attributes.activityId ?? '' };
          run.scheduled.push(entry);
          run.byScheduledEvent.set(entry.eventId, entry);
        }
        // A local activity (a database step before Zuz, since v8) is one marker, written when it ends, with its attempt count.
        const local = localActivityOf(event);
        if (local) run.scheduled.push({ eventId: Number(event.eventId), ...local });
        // A retried activity's Started event is written when it ends, after events of a page read earlier: the map finds it.
        const started = event.activityTaskStartedEventAttributes;
        const entry = started ? run.byScheduledEvent.get(Number(started.scheduledEventId)) : undefined;
        if (entry) entry.attempt = started?.attempt ?? 1;
        run.readThrough = Math.max(run.readThrough, Number(event.eventId));
      }
    }
    this.runs.delete(key);
    this.runs.set(key, run);
    if (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value!);
    return run;
  }
}

/** The SDK core's marker for a finished local activity; its `data` detail is JSON with snake_case fields. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/**
 * A finished local activity's type, id and attempts, from its marker. A marker with a backoff is
 * an attempt that failed before a timer-delayed retry (a longer pause than the local retry
 * threshold): its retry leaves its own marker, with the attempts counted on, so it is skipped.
 */
function localActivityOf(event: HistoryEvent): Omit<ScheduledActivity, 'eventId'> | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as {
      activity_type?: string;
      activity_id?: string;
      attempt?: number;
      backoff?: unknown;
    };
    if (!parsed.activity_type || parsed.backoff) return undefined;
    return { type: parsed.activity_type, activityId: parsed.activity_id ?? '', attempt: parsed.attempt || 1 };
  } catch {
    return undefined; // not a marker this reader understands: the step shows no attempt count
  }
}

/**
 * Reads the engine shape off one real history of the flow: each scheduled activity (by name; a
 * local one by its marker),
 * each upsert and marker (a patch's marker brings its own upsert), the grace timer as a wait, and each signal attributed to the activity
 * that caused it — the last one scheduled before it. The signal that ended a wait comes the
 * provider's pending time after its activity; the others come at once (Zuz sends them with, or
 * right after, its answer).
 */
import type { HistoryEvent } from '../histories';
import type { EngineStep } from './shape';

export function shapeFromHistory(events: readonly HistoryEvent[], pendingMs: number, graceMs: number): EngineStep[] {
  const steps: EngineStep[] = [];
  let lastActivity: Extract<EngineStep, { kind: 'activity' }> | undefined;
  let lastSignal: { delays: number[]; index: number } | undefined;
  let signals = 0;
  let waiting: Extract<EngineStep, { kind: 'wait' }> | undefined;
  let previousWasMarker = false;
  for (const event of events) {
    const wasMarker = previousWasMarker;
    const local = localActivityName(event);
    previousWasMarker = !!event.markerRecordedEventAttributes && local === undefined;
    if (local !== undefined) {
      // A local activity (the database steps before Zuz since flow v8) leaves only its marker.
      lastActivity = { kind: 'activity', name: local, local: true, signalsAfterMs: [] };
      steps.push(lastActivity);
    } else if (event.activityTaskScheduledEventAttributes) {
      lastActivity = {
        kind: 'activity',
        name: event.activityTaskScheduledEventAttributes.activityType?.name ?? 'activity',
        signalsAfterMs: [],
      };
      steps.push(lastActivity);
    } else if (event.workflowExecutionSignaledEventAttributes) {
      signals++;
      if (lastActivity) {
        lastActivity.signalsAfterMs!.push(0);
        lastSignal = { delays: lastActivity.signalsAfterMs!, index: lastActivity.signalsAfterMs!.length - 1 };
      }
    } else if (event.timerStartedEventAttributes) {
      waiting = { kind: 'wait', untilSignals: signals + 1, graceMs };
      steps.push(waiting);
    } else if (event.timerCanceledEventAttributes && waiting) {
      // The last signal ended the wait: it is the provider's final answer, which comes after its pending time.
      waiting.untilSignals = signals;
      if (lastSignal) lastSignal.delays[lastSignal.index] = pendingMs;
      waiting = undefined;
    } else if (event.timerFiredEventAttributes) {
      waiting = undefined; // no answer in time: the engine waits out its timer too
    } else if (event.upsertWorkflowSearchAttributesEventAttributes) {
      // patched() records its marker and upserts TemporalChangeVersion: the marker step does both.
      if (!wasMarker) steps.push({ kind: 'upsert' });
    } else if (event.markerRecordedEventAttributes) {
      steps.push({ kind: 'marker' });
    }
  }
  return steps;
}

/** The activity type of a local activity's marker (its `data` detail: JSON written by the SDK's core), else undefined. */
function localActivityName(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
  if (!data) return undefined;
  try {
    return (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type ?? 'activity';
  } catch {
    return 'activity';
  }
}

/** The history to copy: one whose wait was ended by the webhook (the measured path). */
export function isWebhookPath(events: readonly HistoryEvent[]): boolean {
  return events.some((event) => event.timerCanceledEventAttributes);
}

/** A compact description for the report, e.g. "recordTransaction, marker, upsert, ... wait(2), ...". */
export function describeShape(steps: readonly EngineStep[]): string {
  return steps
    .map((step) => {
      if (step.kind === 'activity')
        return `${step.local ? 'local:' : ''}${step.name}${step.signalsAfterMs?.length ? `(+${step.signalsAfterMs.length} signal)` : ''}`;
      if (step.kind === 'wait') return `wait(signal ${step.untilSignals})`;
      return step.kind;
    })
    .join(', ');
}

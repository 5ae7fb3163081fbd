/**
 * Histories as the SDK can write them when it completes a workflow task early while local
 * activities run: the task's commands spread over two tasks. Used to check that a flow replays
 * whatever the split point, not only where a test run happened to split it.
 */

/** A history in its JSON form (`historyToJSON`): event ids are strings. */
export interface JsonHistory {
  events: JsonEvent[];
}
type JsonEvent = Record<string, unknown> & { eventId: string; eventType: string };
type Attributes = Record<string, unknown>;

const COMPLETED = 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED';
const SCHEDULED = 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED';
const STARTED = 'EVENT_TYPE_WORKFLOW_TASK_STARTED';

function attributesOf(event: JsonEvent): Attributes {
  const key = Object.keys(event).find((name) => name.endsWith('EventAttributes'));
  if (!key) throw new Error(`event ${event.eventId} has no attributes`);
  return event[key] as Attributes;
}

/** The command events of the run's first workflow task: from its completion to the next non-command event. */
export function openingCommandEventIds(history: JsonHistory): number[] {
  const completed = history.events.find((event) => event.eventType === COMPLETED);
  if (!completed) throw new Error('the history has no completed workflow task');
  const ids: number[] = [];
  for (const event of history.events.slice(history.events.indexOf(completed) + 1)) {
    if (attributesOf(event).workflowTaskCompletedEventId !== completed.eventId) break;
    ids.push(Number(event.eventId));
  }
  return ids;
}

/**
 * The history with the first workflow task's commands split after event `afterEventId`: a task
 * scheduled, started and completed is inserted there, the commands after it name that task as
 * theirs, and every event id (and every reference to one) is renumbered.
 */
export function splitOpeningTaskAfter(history: JsonHistory, afterEventId: number): JsonHistory {
  const opening = openingCommandEventIds(history);
  if (!opening.includes(afterEventId) || afterEventId === opening[opening.length - 1]) {
    throw new Error(`event ${afterEventId} is not followed by another command of the first workflow task`);
  }
  const firstScheduled = history.events.find((event) => event.eventType === SCHEDULED)!;
  const firstStarted = history.events.find((event) => event.eventType === STARTED)!;
  const firstCompleted = history.events.find((event) => event.eventType === COMPLETED)!;
  const splitAt = history.events.findIndex((event) => Number(event.eventId) === afterEventId) + 1;
  const before = history.events.slice(0, splitAt);
  const after = history.events.slice(splitAt);

  // New ids: the inserted task takes the three ids after the split point; later events move up by three.
  const newId = (oldId: string) => String(Number(oldId) > afterEventId ? Number(oldId) + 3 : Number(oldId));
  const scheduledId = String(afterEventId + 1);
  const startedId = String(afterEventId + 2);
  const completedId = String(afterEventId + 3);
  const stamp = { eventTime: before[before.length - 1].eventTime, taskId: before[before.length - 1].taskId };
  const inserted: JsonEvent[] = [
    {
      ...stamp,
      eventId: scheduledId,
      eventType: SCHEDULED,
      workflowTaskScheduledEventAttributes: { ...attributesOf(firstScheduled) },
    },
    {
      ...stamp,
      eventId: startedId,
      eventType: STARTED,
      workflowTaskStartedEventAttributes: { ...attributesOf(firstStarted), scheduledEventId: scheduledId },
    },
    {
      ...stamp,
      eventId: completedId,
      eventType: COMPLETED,
      workflowTaskCompletedEventAttributes: {
        ...attributesOf(firstCompleted),
        scheduledEventId: scheduledId,
        startedEventId: startedId,
        sdkMetadata: {},
      },
    },
  ];
  const openingAfterSplit = new Set(opening.filter((id) => id > afterEventId).map(String));
  const renumbered = (event: JsonEvent): JsonEvent => {
    const copy = structuredClone(event);
    copy.eventId = newId(event.eventId);
    const attributes = attributesOf(copy);
    for (const [name, value] of Object.entries(attributes)) {
      if (name.endsWith('EventId') && typeof value === 'string') attributes[name] = newId(value);
    }
    if (openingAfterSplit.has(event.eventId)) attributes.workflowTaskCompletedEventId = completedId;
    return copy;
  };
  return { ...history, events: [...before.map(renumbered), ...inserted, ...after.map(renumbered)] };
}

/**
 * The step journal's attempts, read from a history: each step finds its own activity (the first
 * of its type scheduled after the step started), also when its name is not the activity's and
 * other steps ran the same activity type before it (polls of the payment, then a read of its fate).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { StepAttempts, type NewEventsReader } from '../src/transaction/step-attempts';
import type { StepRecord } from '../src/transaction/model';

function scheduled(eventId: number, type: string, activityId: string) {
  return { eventId, activityTaskScheduledEventAttributes: { activityType: { name: type }, activityId } };
}
function started(eventId: number, scheduledEventId: number, attempt: number) {
  return { eventId, activityTaskStartedEventAttributes: { scheduledEventId, attempt } };
}

/** The marker the SDK's core writes when a local activity ends (its `data`: JSON, snake_case, in clear). */
function localActivity(eventId: number, type: string, attempt: number, backoff?: object) {
  const data = Buffer.from(
    JSON.stringify({ seq: 1, attempt, activity_id: String(eventId), activity_type: type, ...(backoff && { backoff }) }),
  );
  return {
    eventId,
    markerRecordedEventAttributes: { markerName: 'core_local_activity', details: { data: { payloads: [{ metadata: {}, data }] } } },
  };
}
function patchMarker(eventId: number) {
  const data = Buffer.from(JSON.stringify({ id: 'database-steps-as-local-activities', deprecated: false }));
  return {
    eventId,
    markerRecordedEventAttributes: { markerName: 'core_patch', details: { 'patch-data': { payloads: [{ metadata: {}, data }] } } },
  };
}

/** A run whose history is `events` (its length: the last event's id), read through a reader that records each read. */
function run(events: Array<{ eventId: number }>, pendingActivities: object[] = []) {
  const reads: number[] = [];
  const handle = {
    describe: () =>
      Promise.resolve({
        workflowId: 'wf',
        runId: 'run',
        historyLength: Math.max(0, ...events.map((e) => e.eventId)),
        raw: { pendingActivities },
      }),
  } as unknown as WorkflowHandle;
  const reader: NewEventsReader = (_execution, after) => {
    reads.push(after);
    // Newest first, as GetWorkflowExecutionHistoryReverse pages them.
    return Promise.resolve(events.filter((e) => e.eventId > after).reverse() as unknown as Awaited<ReturnType<NewEventsReader>>);
  };
  return { handle, reader, reads, events };
}

async function withAttempts(r: ReturnType<typeof run>, steps: StepRecord[]) {
  return new StepAttempts(r.reader).of(r.handle, steps);
}

const step = (name: string, historyFrom: number | undefined, extra: Partial<StepRecord> = {}): StepRecord => ({
  name,
  state: 'completed',
  startedAt: '2026-12-01T00:00:00.000Z',
  historyFrom,
  ...extra,
});

test("a step named otherwise than its activity gets that activity's attempts, not an earlier poll's", async () => {
  const history = [
    scheduled(5, 'createAuthorization', '1'),
    started(6, 5, 2),
    scheduled(10, 'readPaymentState', '2'), // a poll inside the wait
    started(11, 10, 1),
    scheduled(20, 'readPaymentState', '3'), // the read of the authorization's fate
    started(21, 20, 4),
    scheduled(30, 'voidAuthorization', '4'),
    started(31, 30, 1),
    scheduled(40, 'voidAuthorization', '5'), // the second void round
  ];
  const steps = [
    step('createAuthorization', 4),
    step('awaitAuthorizationResult', 8, { polls: 1, lastPoll: 'pending' }),
    step('readAuthorizationFate', 19, { activity: 'readPaymentState' }),
    step('voidAuthorization', 29),
    step('voidAuthorizationAgain', 39, { activity: 'voidAuthorization', state: 'running' }),
  ];
  const journal = await withAttempts(run(history, [{ activityId: '5', attempt: 3 }]), steps);
  expect(journal.map((s) => [s.name, s.attempts])).toEqual([
    ['createAuthorization', 2],
    ['awaitAuthorizationResult', undefined],
    ['readAuthorizationFate', 4],
    ['voidAuthorization', 1],
    ['voidAuthorizationAgain', 3],
  ]);
  expect(journal[1]).toMatchObject({ polls: 1, lastPoll: 'pending' });
  // The history position is how the API matches steps, not something it shows.
  expect(journal.some((s) => 'historyFrom' in s)).toBe(false);
});

test('a journal written before steps carried their history position is matched in order of type', async () => {
  const history = [scheduled(5, 'capturePayment', '1'), started(6, 5, 2)];
  const journal = await withAttempts(run(history), [step('capturePayment', undefined)]);
  expect(journal[0].attempts).toBe(2);
});

test('a run already read costs no history read while it waits; a grown one reads only its new events', async () => {
  const events = [scheduled(5, 'createAuthorization', '1'), started(6, 5, 1), scheduled(10, 'capturePayment', '2')];
  const r = run(events);
  const attempts = new StepAttempts(r.reader);
  const steps = [step('createAuthorization', 4), step('capturePayment', 9, { state: 'running' })];

  expect((await attempts.of(r.handle, steps)).map((s) => s.attempts)).toEqual([1, undefined]);
  expect((await attempts.of(r.handle, steps)).map((s) => s.attempts)).toEqual([1, undefined]);
  expect(r.reads).toEqual([0]); // the second call read nothing: the history had not grown

  // The capture ends after 3 attempts: its Started event is written then, after the events read before.
  events.push(started(12, 10, 3));
  expect((await attempts.of(r.handle, steps)).map((s) => s.attempts)).toEqual([1, 3]);
  expect(r.reads).toEqual([0, 10]); // only the events after the last one read
});

test('the least recently read run is forgotten first, and is read whole again when asked for', async () => {
  const a = run([scheduled(5, 'capturePayment', '1'), started(6, 5, 2)]);
  const b = { ...run([scheduled(5, 'capturePayment', '1'), started(6, 5, 1)]) };
  (b.handle as unknown as { describe: () => Promise<object> }).describe = () =>
    Promise.resolve({ workflowId: 'wf-b', runId: 'run', historyLength: 6, raw: {} });
  const reads: string[] = [];
  const attempts = new StepAttempts((execution, after) => {
    reads.push(`${execution.workflowId}>${after}`);
    return (execution.workflowId === 'wf' ? a : b).reader(execution, after);
  }, 1);
  await attempts.of(a.handle, [step('capturePayment', 4)]);
  await attempts.of(b.handle, [step('capturePayment', 4)]);
  expect((await attempts.of(a.handle, [step('capturePayment', 4)]))[0].attempts).toBe(2);
  expect(reads).toEqual(['wf>0', 'wf-b>0', 'wf>0']);
});

test('two reads of a grown run at once take its new events in once (each step keeps its own activity)', async () => {
  const events = [scheduled(5, 'readPaymentState', '1'), started(6, 5, 1)];
  const r = run(events);
  const attempts = new StepAttempts(r.reader);
  // A journal from before steps carried their history position: matched in order of type, so a duplicate would shift them.
  const steps = (n: number) => Array.from({ length: n }, (_, i) => step(`read${i}`, undefined, { activity: 'readPaymentState' }));
  await attempts.of(r.handle, steps(1));

  events.push(scheduled(10, 'readPaymentState', '2'), started(11, 10, 2), scheduled(20, 'readPaymentState', '3'), started(21, 20, 3));
  await Promise.all([attempts.of(r.handle, steps(3)), attempts.of(r.handle, steps(3))]);

  events.push(scheduled(30, 'readPaymentState', '4'), started(31, 30, 7));
  expect((await attempts.of(r.handle, steps(4))).map((s) => s.attempts)).toEqual([1, 2, 3, 7]);
});

test('database steps run as local activities (v8) get the attempts of their markers; a marker before a timer-delayed retry is not a step', async () => {
  const history = [
    patchMarker(3),
    localActivity(5, 'recordTransaction', 1),
    localActivity(6, 'assignAccountId', 3),
    localActivity(10, 'screenTransaction', 4, { seconds: 90 }), // failed 4 times, then waited on a timer
    localActivity(14, 'screenTransaction', 5),
    scheduled(16, 'createAuthorization', '1'),
    started(17, 16, 2),
    localActivity(30, 'finalizeTransaction', 1),
  ];
  const steps = [
    step('recordTransaction', 2),
    step('assignAccountId', 5),
    step('screenTransaction', 6),
    step('createAuthorization', 15),
    step('finalizeTransaction', 25),
  ];
  const journal = await withAttempts(run(history), steps);
  expect(journal.map((s) => [s.name, s.attempts])).toEqual([
    ['recordTransaction', 1],
    ['assignAccountId', 3],
    ['screenTransaction', 5],
    ['createAuthorization', 2],
    ['finalizeTransaction', 1],
  ]);
});

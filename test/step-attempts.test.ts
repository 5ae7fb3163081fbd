/**
 * The step journal's attempts, read from a history: each step finds its own activity (the first
 * of its type scheduled after the step started), also when its name is not the activity's and
 * other steps ran the same activity type before it (polls of the payment, then a read of its fate).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { withAttempts } from '../src/api/step-attempts';
import type { StepRecord } from '../src/domain/transaction';

function scheduled(eventId: number, type: string, activityId: string) {
  return { eventId, activityTaskScheduledEventAttributes: { activityType: { name: type }, activityId } };
}
function started(eventId: number, scheduledEventId: number, attempt: number) {
  return { eventId, activityTaskStartedEventAttributes: { scheduledEventId, attempt } };
}

function handle(events: object[], pendingActivities: object[] = []): WorkflowHandle {
  return {
    fetchHistory: () => Promise.resolve({ events }),
    describe: () => Promise.resolve({ raw: { pendingActivities } }),
  } as unknown as WorkflowHandle;
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
  const journal = await withAttempts(handle(history, [{ activityId: '5', attempt: 3 }]), steps);
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
  const journal = await withAttempts(handle(history), [step('capturePayment', undefined)]);
  expect(journal[0].attempts).toBe(2);
});

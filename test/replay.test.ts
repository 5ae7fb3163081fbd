/**
 * Replays every stored history of every released flow version against the current workflow
 * code, with no server: a change that would break transactions already running (a step added,
 * removed or reordered without a patch) fails here, naming the history and the event. Histories
 * captured with payload encryption on (test/histories/encrypted/) replay through the same codec the
 * worker uses, with the corpus's TEST-ONLY key; histories in clear pass through it unchanged.
 */
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from './helpers/temporal';
import { corpusDataConverter, payloadBytes, storedHistories } from './helpers/histories';
import { findInHistory } from './helpers/history-payloads';

const histories = storedHistories();
const dataConverter = corpusDataConverter();
let workflowBundle: { code: string };

beforeAll(async () => {
  workflowBundle = await bundleWorkflows();
}, 60_000);

test('the corpus holds histories of every branch', () => {
  expect(new Set(histories.filter((h) => !h.encrypted).map((h) => h.version))).toEqual(
    new Set(['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8']),
  );
  expect(histories.length).toBeGreaterThanOrEqual(128);
  expect(histories.filter((h) => h.encrypted).length).toBeGreaterThanOrEqual(1);
});

test('from v8 the database steps before Zuz are local activities (markers), before it ordinary activities', () => {
  const stepsOf = (version: string) => {
    const { history } = histories.find((h) => !h.encrypted && h.version === version && h.branch === 'approved')!;
    const events = (history as { events: Array<Record<string, { activityType?: { name: string }; markerName?: string }>> }).events;
    return {
      activities: events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
      localActivityMarkers: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
    };
  };
  expect(stepsOf('v7').activities).toEqual(expect.arrayContaining(['recordTransaction', 'assignAccountId', 'finalizeTransaction']));
  expect(stepsOf('v7').localActivityMarkers).toBe(0);
  const v8 = stepsOf('v8');
  expect(v8.activities).not.toEqual(expect.arrayContaining(['recordTransaction']));
  expect(v8.activities).toEqual(expect.arrayContaining(['createAuthorization', 'capturePayment', 'finalizeTransaction']));
  expect(v8.localActivityMarkers).toBe(3); // record, assign, screen
});

test('an encrypted history is ciphertext: its request is nowhere in it, and it does not replay without the key', async () => {
  const encrypted = histories.find((h) => h.encrypted)!;
  const plain = histories.find((h) => !h.encrypted && h.branch === 'approved')!;
  const history = (h: typeof plain) => payloadBytes(h.history) as Parameters<typeof findInHistory>[0];
  // Control: the same search finds the customer in the history captured in clear.
  expect(findInHistory(history(plain), 'cus_demo')).not.toEqual([]);
  expect(findInHistory(history(encrypted), 'cus_demo')).toEqual([]);
  expect(findInHistory(history(encrypted), 'binary/encrypted')).not.toEqual([]);
  await expect(Worker.runReplayHistory({ workflowBundle }, encrypted.history, encrypted.workflowId)).rejects.toThrow();
});

test.each(histories.map((h) => [`${h.version}/${h.branch}`, h] as const))('%s replays on the current code', async (_name, stored) => {
  try {
    await Worker.runReplayHistory({ workflowBundle, dataConverter }, stored.history, stored.workflowId);
  } catch (err) {
    throw new Error(`${stored.file} does not replay: ${(err as Error).message}`);
  }
});

/**
 * Replays every stored history of every released flow version against the current workflow
 * code, with no server: a change that would break transactions already running (a step added,
 * removed or reordered without a patch) fails here, naming the history and the event. Histories
 * captured with payload encryption on (test/histories/encrypted/) replay through the same codec the
 * worker uses, with the corpus's TEST-ONLY key; histories in clear pass through it unchanged.
 */
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { bundleWorkflows } from './helpers/temporal';
import { corpusDataConverter, payloadBytes, storedHistories } from './helpers/histories';
import { decodeHistory, findInHistory, historyTexts } from './helpers/history-payloads';
import { MOCK_CARDS } from '../sandbox/simulators/cards';
import { containsCardNumber } from '../src/transaction/card-number';

const histories = storedHistories();
const dataConverter = corpusDataConverter();
let workflowBundle: { code: string };

beforeAll(async () => {
  workflowBundle = await bundleWorkflows();
}, 60_000);

test('the corpus holds histories of every branch', () => {
  expect(new Set(histories.filter((h) => !h.encrypted).map((h) => h.version))).toEqual(
    new Set(['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10']),
  );
  expect(histories.length).toBeGreaterThanOrEqual(182);
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

test('from v10 the requests to Zuz before the till hears are local activities too: the opening runs in one task, to the capture', () => {
  const { history } = histories.find((h) => !h.encrypted && h.version === 'v10' && h.branch === 'approved')!;
  const events = (history as { events: Array<Record<string, { activityType?: { name: string }; markerName?: string }>> }).events;
  expect(events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual([
    'noteAuthorized',
    'capturePayment',
    'finalizeTransaction',
  ]);
  expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(5);
  const firstActivity = events.findIndex((e) => e.activityTaskScheduledEventAttributes);
  expect(events.slice(0, firstActivity).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
});

test('from v9 an approved authorization is noted for the merchant (noteAuthorized) beside the capture, before the outcome is recorded', () => {
  const activitiesOf = (version: string, branch: string) => {
    const { history } = histories.find((h) => !h.encrypted && h.version === version && h.branch === branch)!;
    const events = (history as { events: Array<Record<string, { activityType?: { name: string } }>> }).events;
    return events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  };
  expect(activitiesOf('v8', 'approved')).not.toContain('noteAuthorized');
  // Scheduled in the same workflow task as the capture (it never waits for the note), awaited before finalizeTransaction.
  expect(activitiesOf('v9', 'approved')).toEqual([
    'createPayment',
    'createAuthorization',
    'noteAuthorized',
    'capturePayment',
    'finalizeTransaction',
  ]);
  expect(activitiesOf('v9', 'manual-cancelled')).toContain('noteAuthorized');
  expect(activitiesOf('v9', 'declined')).not.toContain('noteAuthorized');
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

/** The mock cards have no CVV: their card numbers and tokens are all the card data there is. */
const CARD_SECRETS = MOCK_CARDS.flatMap((card) => [card.cardNumber, card.providerToken]);

/**
 * Where a stored history holds card data, its payloads decoded (and decrypted with the corpus's
 * key): a mock card's number or token, or any text that looks like a card number (13-19 digits
 * passing the Luhn check, src/transaction/card-number.ts).
 */
async function cardDataIn(stored: { history: unknown }): Promise<string[]> {
  const history = await decodeHistory(payloadBytes(stored.history), dataConverter.payloadCodecs?.[0]);
  return historyTexts(history as Parameters<typeof historyTexts>[0]).flatMap(({ path, text }) => [
    ...CARD_SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${secret} at ${path}`),
    ...(isFreeText(text) && containsCardNumber(text) ? [`a card number at ${path}`] : []),
  ]);
}

/**
 * A single text value a card number could be typed into: not a JSON document (the whole history, a
 * payload before its strings are taken one by one) and not a hex or UUID identifier, whose digit
 * groups joined by dashes can pass for a card number (run ids, request ids, Zuz's `auth_<uuid>`).
 */
function isFreeText(text: string): boolean {
  return !/^\s*[[{"]/.test(text) && !/^([a-z]+_)?[0-9a-f-]+$/i.test(text);
}

/** A copy of a stored history with `plant` applied to its workflow input (the first payload of its first event), re-encoded. */
function withPlantedInput(
  stored: { history: unknown },
  plant: (input: Record<string, Record<string, unknown>>) => void,
): { history: unknown } {
  const copy = structuredClone(stored.history) as { events: Array<Record<string, { input?: { payloads: Array<{ data: string }> } }>> };
  const payload = copy.events[0].workflowExecutionStartedEventAttributes.input!.payloads[0];
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as Record<string, Record<string, unknown>>;
  plant(input);
  payload.data = Buffer.from(JSON.stringify(input)).toString('base64');
  return { history: copy };
}

test('no stored history holds card data, decoded and decrypted (planted controls: a card number and a token put in a copy are found)', async () => {
  const found: string[] = [];
  for (const stored of histories) found.push(...(await cardDataIn(stored)).map((where) => `${stored.file}: ${where}`));
  expect(found).toEqual([]);

  const approved = histories.find((h) => !h.encrypted && h.version === 'v8' && h.branch === 'approved')!;
  const typed = withPlantedInput(approved, (input) => void (input.request.description = 'card 5555 5555 5555 4444'));
  expect(await cardDataIn(typed)).toEqual(expect.arrayContaining([expect.stringMatching(/^a card number at events\[0\]/)]));
  const token = MOCK_CARDS[0].providerToken;
  const leaked = withPlantedInput(approved, (input) => void (input.request.note = token));
  expect(await cardDataIn(leaked)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${token} at events\\[0\\]`))]));
});

/**
 * The workflow logger's sink, called during replay too: the step names the current code journals
 * for the replayed execution (each step logs `Step <name> <state>` with its name when it ends).
 */
function stepNameSink(names: string[]): NonNullable<ReplayWorkerOptions['sinks']> {
  const ignore = { fn: () => undefined, callDuringReplay: true };
  return {
    // The workflow logger's sink (`__temporal_logger`) under its older name, the one a worker's options may set.
    defaultWorkerLogger: {
      trace: ignore,
      debug: ignore,
      warn: ignore,
      error: ignore,
      info: {
        fn: (_info: unknown, message: string, attributes?: { step?: unknown }) => {
          if (message.startsWith('Step ') && typeof attributes?.step === 'string') names.push(attributes.step);
        },
        callDuringReplay: true,
      },
    },
  };
}

function workflowTypeOf(stored: { history: unknown }): string | undefined {
  type Started = { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } };
  return (stored.history as { events: Started[] }).events[0].workflowExecutionStartedEventAttributes?.workflowType?.name;
}

test.each(histories.map((h) => [`${h.version}/${h.branch}`, h] as const))(
  '%s replays on the current code, its step names unique',
  async (_name, stored) => {
    const steps: string[] = [];
    try {
      await Worker.runReplayHistory({ workflowBundle, dataConverter, sinks: stepNameSink(steps) }, stored.history, stored.workflowId);
    } catch (err) {
      throw new Error(`${stored.file} does not replay: ${(err as Error).message}`);
    }
    // The step journal's names are its keys: a rerun of a step carries its ordinal (`rereadAuthorizationFate#2`).
    if (workflowTypeOf(stored) === 'processTransaction') expect(steps).toContain('finalizeTransaction');
    expect(steps.filter((name, i) => steps.indexOf(name) !== i)).toEqual([]);
  },
);

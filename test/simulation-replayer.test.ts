/**
 * The simulation's batch replayer (tools/simulation/replayer.ts): one replay worker for every
 * finished history of a batch. It must answer each history for itself — a history that does not
 * replay is reported as such, and the ones around it still replay — or the simulation's check
 * that every history replays on a fresh worker would pass histories it never really replayed.
 */
import { BatchReplayer } from '../tools/simulation/replayer';
import { bundleWorkflows } from './helpers/temporal';
import { corpusDataConverter, storedHistories } from './helpers/histories';

let replayer: BatchReplayer;
const plain = storedHistories().filter((h) => !h.encrypted && h.version === 'v6');

beforeAll(async () => {
  replayer = new BatchReplayer({
    workflowBundle: await bundleWorkflows(),
    dataConverter: corpusDataConverter(),
    replayName: 'replayer-test',
  });
}, 60_000);

afterAll(() => replayer.close());

/** The history with its first activity renamed: the flow's commands no longer match it (non-determinism). */
function withFirstActivityRenamed(history: unknown): unknown {
  const copy = structuredClone(history) as { events: Array<{ activityTaskScheduledEventAttributes?: { activityType: { name: string } } }> };
  const scheduled = copy.events.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType.name = 'notAStepOfTheFlow';
  return copy;
}

test('histories handed in together are each answered for themselves, and a broken one does not stop the others', async () => {
  const [first, second, third] = plain;
  const answers = await Promise.all([
    replayer.replay(first.history, first.workflowId),
    replayer.replay(withFirstActivityRenamed(second.history), second.workflowId),
    replayer.replay(third.history, third.workflowId),
  ]);
  expect(answers[0]).toBeUndefined();
  expect(answers[1]).toMatch(/nondetermin/i);
  expect(answers[2]).toBeUndefined();
}, 120_000);

test('the replayer keeps answering after a batch (one worker for the whole run)', async () => {
  const answers = await Promise.all(plain.slice(3, 8).map((h) => replayer.replay(h.history, h.workflowId)));
  expect(answers).toEqual([undefined, undefined, undefined, undefined, undefined]);
  expect(await replayer.replay(withFirstActivityRenamed(plain[0].history), plain[0].workflowId)).toMatch(/nondetermin/i);
}, 120_000);

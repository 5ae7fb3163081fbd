/**
 * Replays every stored history of every released flow version against the current workflow
 * code, with no server: a change that would break transactions already running (a step added,
 * removed or reordered without a patch) fails here, naming the history and the event.
 */
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from './helpers/temporal';
import { storedHistories } from './helpers/histories';

const histories = storedHistories();
let workflowBundle: { code: string };

beforeAll(async () => {
  workflowBundle = await bundleWorkflows();
}, 60_000);

test('the corpus holds histories of every branch', () => {
  expect(new Set(histories.map((h) => h.version))).toEqual(new Set(['v1', 'v2', 'v3', 'v4']));
  expect(histories.length).toBeGreaterThanOrEqual(58);
});

test.each(histories.map((h) => [`${h.version}/${h.branch}`, h] as const))('%s replays on the current code', async (_name, stored) => {
  try {
    await Worker.runReplayHistory({ workflowBundle }, stored.history, stored.workflowId);
  } catch (err) {
    throw new Error(`${stored.file} does not replay: ${(err as Error).message}`);
  }
});

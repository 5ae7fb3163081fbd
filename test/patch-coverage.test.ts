/**
 * What the replay suite covers, checked rather than counted: every patch of
 * src/workflows/patches.ts has stored histories on each side of it, and every workflow type has
 * histories. A side counts only if the replay suite would notice it gone: for each patch the
 * workflow code is replayed with that one `patched()` guard removed — always the new path (the
 * change deployed without its guard) — and at least one stored history without the patch's marker
 * must fail to replay; and with the guard removed the other way (the new path deleted) at least
 * one history with the marker must fail. One bundle serves every patch (tools/patches.ts: the
 * guard to remove is named in the replay's workflow id).
 */
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import * as patchesModule from '../src/workflows/patches';
import { bundleWithGuards, patchesSourceWith, PATCHES, workflowIdWithoutGuard } from '../tools/patches';
import { corpusDataConverter, storedHistories, type StoredHistory } from './helpers/histories';

type JsonPayload = { metadata?: Record<string, string>; data?: string };
type JsonEvent = {
  workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
  workflowExecutionContinuedAsNewEventAttributes?: unknown;
  markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: JsonPayload[] }> };
};

const histories = storedHistories();
const dataConverter = corpusDataConverter();

/** The ids of the patch markers in a stored history, each marker's payload decoded as the worker decodes it (the codec first). */
async function patchIdsOf(stored: StoredHistory): Promise<string[]> {
  const ids: string[] = [];
  for (const event of eventsOf(stored)) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    const [json] = marker.details?.['patch-data']?.payloads ?? [];
    if (!json) throw new Error(`${stored.file}: a patch marker without its patch-data`);
    const bytes = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));
    let payloads: Payload[] = [
      {
        metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([key, value]) => [key, bytes(value)])),
        data: json.data === undefined ? undefined : bytes(json.data),
      },
    ];
    for (const codec of [...(dataConverter.payloadCodecs ?? [])].reverse()) payloads = await codec.decode(payloads);
    ids.push(defaultPayloadConverter.fromPayload<{ id: string }>(payloads[0]).id);
  }
  return ids;
}

function eventsOf(stored: StoredHistory): JsonEvent[] {
  return (stored.history as { events: JsonEvent[] }).events;
}

function workflowTypeOf(stored: StoredHistory): string {
  return eventsOf(stored)[0].workflowExecutionStartedEventAttributes?.workflowType?.name ?? '(none)';
}

let markers: Map<StoredHistory, string[]>;
let guardlessBundle: { code: string };

beforeAll(async () => {
  markers = new Map(await Promise.all(histories.map(async (h) => [h, await patchIdsOf(h)] as const)));
  guardlessBundle = await bundleWithGuards(() => 'by-workflow-id');
}, 120_000);

test('tools/patches.ts registers every patch of src/workflows/patches.ts, oldest first', () => {
  const declared = Object.entries(patchesModule)
    .filter(([name]) => name.endsWith('_PATCH'))
    .map(([, id]) => id as string);
  expect(PATCHES.map((p) => p.id).sort()).toEqual([...declared].sort());
  const introduced = PATCHES.map((p) => Date.parse(p.introduced));
  expect(introduced).toEqual([...introduced].sort((a, b) => a - b));
});

test("the markers are read from the histories' payloads: the v1 corpus has none, v8's approved run all its opening patches", () => {
  const byName = (version: string, branch: string) => markers.get(histories.find((h) => h.version === version && h.branch === branch)!)!;
  expect(byName('v1', 'approved')).toEqual([]);
  expect(byName('v8', 'approved')).toEqual(['database-steps-as-local-activities', 'risk-screening', 'release-unanswered-authorizations']);
  // The encrypted history's markers are read through the codec too.
  expect(markers.get(histories.find((h) => h.encrypted)!)).toEqual(['risk-screening', 'release-unanswered-authorizations']);
});

test('every workflow type has histories of its branches', () => {
  const ofType = (type: string) => histories.filter((h) => workflowTypeOf(h) === type);
  expect(ofType('processTransaction').length).toBeGreaterThanOrEqual(100);
  const refunds = ofType('processRefund');
  expect(new Set(refunds.map((h) => (h as StoredHistory & { outcome: string }).outcome))).toEqual(new Set(['succeeded', 'failed']));
  expect(new Set(refunds.map((h) => h.branch))).toEqual(
    new Set(['refund-approved', 'refund-declined', 'refund-pending-then-approved', 'refund-pending-then-declined']),
  );
  const reconciliations = ofType('reconcileTransactions');
  // A run over real transactions, a run that continued as new after PAGES_PER_RUN pages, and the run that resumed from it.
  expect(reconciliations.some((h) => eventsOf(h).some((e) => e.workflowExecutionContinuedAsNewEventAttributes))).toBe(true);
  expect(
    reconciliations.filter((h) => !eventsOf(h).some((e) => e.workflowExecutionContinuedAsNewEventAttributes)).length,
  ).toBeGreaterThanOrEqual(2);
});

/** Replays `candidates` with one guard removed; returns the files that failed, with why. */
async function failingWithoutGuard(patchId: string, side: 'new-side' | 'old-side', candidates: StoredHistory[]): Promise<string[]> {
  const byWorkflowId = new Map(candidates.map((h) => [workflowIdWithoutGuard(h.workflowId, patchId, side), h]));
  const failed: string[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle: guardlessBundle, dataConverter },
    candidates.map((h) => ({ history: h.history, workflowId: workflowIdWithoutGuard(h.workflowId, patchId, side) })),
  );
  for await (const { workflowId, error } of results) {
    if (error)
      failed.push(
        `${byWorkflowId.get(workflowId)!.file}: ${error instanceof DeterminismViolationError ? '' : 'not a determinism error: '}${error.message}`,
      );
  }
  return failed;
}

describe.each(PATCHES.map((p) => [p.id, p] as const))('%s', (id, patch) => {
  const ofType = () => histories.filter((h) => workflowTypeOf(h) === patch.workflowType);

  test('has a history on its new side, and with the new path deleted (guard always false) one of them fails to replay', async () => {
    const newSide = ofType().filter((h) => markers.get(h)!.includes(id));
    expect(newSide.map((h) => h.file)).not.toEqual([]);
    const failed = await failingWithoutGuard(id, 'old-side', newSide);
    expect(failed).not.toEqual([]);
    expect(failed.filter((f) => f.includes('not a determinism error'))).toEqual([]);
  });

  test('has a history on its old side: with its guard removed (always the new path) one without its marker fails to replay', async () => {
    const withoutMarker = ofType().filter((h) => !markers.get(h)!.includes(id));
    const failed = await failingWithoutGuard(id, 'new-side', withoutMarker);
    expect(failed).not.toEqual([]);
    expect(failed.filter((f) => f.includes('not a determinism error'))).toEqual([]);
  });
});

test('control: the guardless bundle replays every history when no guard is named (it is the real code otherwise)', async () => {
  const failed: string[] = [];
  for await (const { workflowId, error } of Worker.runReplayHistories(
    { workflowBundle: guardlessBundle, dataConverter },
    histories.map((h) => ({ history: h.history, workflowId: h.workflowId })),
  )) {
    if (error) failed.push(`${workflowId}: ${error.message}`);
  }
  expect(failed).toEqual([]);
});

test('the guard rewriting: each named guard removed the way asked, the others kept, an unguarded patch refused', () => {
  const source = [
    "export const A_PATCH = 'a';",
    "export const B_PATCH = 'b';",
    'export const a = () => patched(A_PATCH);',
    'export const b = () => patched(B_PATCH);',
  ].join('\n');
  const rewritten = patchesSourceWith(source, (id) => (id === 'a' ? 'new-side' : 'patched'));
  expect(rewritten).toContain('export const a = () => true;');
  expect(rewritten).toContain('export const b = () => patched(B_PATCH);');
  expect(patchesSourceWith(source, (id) => (id === 'b' ? 'old-side' : 'patched'))).toContain('export const b = () => false;');
  expect(() => patchesSourceWith(source.replace('patched(B_PATCH)', 'true'), () => 'patched')).toThrow(/No patched\(\) guard found for b/);
});

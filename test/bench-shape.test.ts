/**
 * The bench's engine workflow copies the flow's shape from a real history: since flow v8 the
 * database steps before Zuz leave only a local-activity marker, which must be copied as a local
 * activity (not as a patch's marker), or the engine ceiling would measure a cheaper flow.
 */
import { describeShape, shapeFromHistory } from '../tools/bench/engine/shape-from-history';
import type { HistoryEvent } from '../tools/bench/histories';

const json = (value: object) => ({ payloads: [{ metadata: {}, data: Buffer.from(JSON.stringify(value)) }] });
const patchMarker = { markerRecordedEventAttributes: { markerName: 'core_patch', details: { 'patch-data': json({ id: 'p' }) } } };
const upsert = { upsertWorkflowSearchAttributesEventAttributes: {} };
const localActivity = (type: string) => ({
  markerRecordedEventAttributes: {
    markerName: 'core_local_activity',
    details: { data: json({ seq: 1, attempt: 1, activity_type: type }) },
  },
});
const activity = (name: string) => ({ activityTaskScheduledEventAttributes: { activityType: { name } } });

test('a local activity is copied as a local activity; a patch marker and its upsert as one marker step; a status upsert after a local activity is kept', () => {
  const events = [
    patchMarker,
    upsert,
    localActivity('recordTransaction'),
    localActivity('assignAccountId'),
    upsert,
    activity('createPayment'),
  ] as unknown as HistoryEvent[];
  expect(describeShape(shapeFromHistory(events, 100, 1000))).toBe(
    'marker, local:recordTransaction, local:assignAccountId, upsert, createPayment',
  );
});

/**
 * Which endpoints an event's first delivery goes to: those made before it. The event's time is
 * kept in milliseconds and PostgreSQL keeps microseconds, so an endpoint made in the event's own
 * millisecond must still be told (it was missed when the two were compared at different precisions).
 */
import { openDatabase, type Database } from '../src/shared/database';
import { MerchantEventStore } from '../src/merchant-events/store';

let db: Database;
let store: MerchantEventStore;

beforeAll(async () => {
  db = await openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { inMemory: true });
  store = new MerchantEventStore(db);
});
afterAll(() => db.close());

test('an endpoint made in the same millisecond as the event, before it, is told', async () => {
  const endpoint = await store.createEndpoint('shop-ms', 'https://example.com/hook', null);
  const { rows } = await db.query<{ at: string }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at FROM webhook_endpoints WHERE id = $1`,
    [endpoint.id],
  );
  // Its microseconds past the event's millisecond (the case that can happen), set so the test does not depend on luck.
  await db.query(`UPDATE webhook_endpoints SET created_at = $2::timestamptz + interval '400 microseconds' WHERE id = $1`, [
    endpoint.id,
    rows[0].at,
  ]);
  const event = { merchantId: 'shop-ms', type: 'transaction.succeeded', round: 0, createdAt: rows[0].at };
  expect(await store.subscribersOf(event)).toEqual([endpoint.id]);
  // Control: an event a millisecond earlier than the endpoint is not its to tell.
  const before = new Date(Date.parse(rows[0].at) - 1).toISOString();
  expect(await store.subscribersOf({ ...event, createdAt: before })).toEqual([]);
});

/**
 * Merchants and keys managed at run time (issue 34): an operator creates a merchant and issues it
 * a till key and a back-office key (shown once, stored as a hash); each role reaches its routes
 * only (403 naming the role needed); a revoked key is refused at once by every API process sharing
 * the database; every request that changes something is in the audit trail, which no one can change.
 * On PostgreSQL when DATABASE_URL is set (npm test sets it), else the embedded database.
 */
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../src/shared/database';
import { AuditLog } from '../src/merchants/audit-log';
import { MerchantStore } from '../src/merchants/store';
import { startInProcessApi, type InProcessApi } from './helpers/in-process-api';

const OPERATOR = `operator-key-${randomBytes(12).toString('hex')}`;
const ENV_MERCHANT_KEY = `shop-key-${randomBytes(12).toString('hex')}`;
const MERCHANT = `kiosk-${randomBytes(3).toString('hex')}`;
const OTHER = `other-${randomBytes(3).toString('hex')}`;
const databases: Database[] = [];
const apis: InProcessApi[] = [];
let apiA: string;
let apiB: string;

/** One API process over the database: nothing here reaches Temporal. */
async function startApi(db: Database): Promise<string> {
  const api = await startInProcessApi({ db, apiKeys: [{ merchantId: OTHER, key: ENV_MERCHANT_KEY }], operatorKeys: [OPERATOR] });
  apis.push(api);
  return api.url;
}

const open = () => openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { inMemory: true });

beforeAll(async () => {
  // Two API processes: on PostgreSQL, two pools on one database; embedded, one database shared in process.
  const first = await open();
  databases.push(first);
  const second = process.env.DATABASE_URL ? await open() : first;
  if (second !== first) databases.push(second);
  apiA = await startApi(first);
  apiB = await startApi(second);
}, 60_000);

afterAll(async () => {
  await Promise.all(apis.map((api) => api.close()));
  await Promise.all(databases.map((db) => db.close()));
});

type Body = Record<string, unknown> & { error?: { code: string; message: string; requestId?: string } };

async function call(base: string, key: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(base + route, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Body };
}

let till: { key: string; keyId: string; prefix: string };
let backOffice: { key: string; keyId: string; prefix: string };

test('an operator creates a merchant and issues it a till key and a back-office key, each shown once', async () => {
  const created = await call(apiA, OPERATOR, 'POST', '/v1/merchants', {
    merchantId: MERCHANT,
    name: 'Kiosk',
    timeZone: 'Europe/Amsterdam',
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ merchantId: MERCHANT, name: 'Kiosk', timeZone: 'Europe/Amsterdam' });
  expect((await call(apiA, OPERATOR, 'POST', '/v1/merchants', { merchantId: MERCHANT, name: 'Again' })).status).toBe(409);
  const bad = await call(apiA, OPERATOR, 'POST', '/v1/merchants', { merchantId: 'Not Valid', name: 'x', timeZone: 'Mars/Base' });
  expect(bad.status).toBe(400);
  expect(bad.body.error?.message).toMatch(/^merchantId:/);
  expect(JSON.stringify(bad.body)).toContain('timeZone');

  const issue = async (role: string) => {
    const answer = await call(apiA, OPERATOR, 'POST', `/v1/merchants/${MERCHANT}/keys`, { role });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ role, merchantId: MERCHANT, prefix: expect.stringMatching(/^pos_test_[0-9a-f]{8}$/) });
    expect(answer.body.key).toEqual(expect.stringMatching(new RegExp(`^${answer.body.prefix as string}_`)));
    return answer.body as unknown as typeof till;
  };
  till = await issue('till');
  backOffice = await issue('back-office');
  expect((await call(apiA, OPERATOR, 'POST', `/v1/merchants/${MERCHANT}/keys`, { role: 'operator' })).status).toBe(400);
  expect((await call(apiA, OPERATOR, 'POST', `/v1/merchants/nobody-${MERCHANT}/keys`, { role: 'till' })).status).toBe(404);

  // Listed by prefix and role; the key itself is never shown again, nor stored.
  const listed = await call(apiA, OPERATOR, 'GET', `/v1/merchants/${MERCHANT}/keys`);
  expect(listed.body.keys).toEqual([
    expect.objectContaining({ keyId: till.keyId, prefix: till.prefix, role: 'till' }),
    expect.objectContaining({ keyId: backOffice.keyId, prefix: backOffice.prefix, role: 'back-office' }),
  ]);
  expect(JSON.stringify(listed.body)).not.toContain(till.key);
  const stored = await databases[0].query<{ row: string }>(`SELECT row_to_json(k)::text AS row FROM api_keys k WHERE merchant_id = $1`, [
    MERCHANT,
  ]);
  expect(stored.rows.map((r) => r.row).join()).not.toContain(till.key.slice(till.prefix.length + 1));
});

test('merchant keys cannot manage merchants, and each role reaches its own routes only (403 names the role needed)', async () => {
  for (const key of [till.key, backOffice.key, ENV_MERCHANT_KEY]) {
    const refused = await call(apiA, key, 'POST', '/v1/merchants', { merchantId: `x${MERCHANT}`, name: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toContain('the operator role');
  }
  // A till sells; refunds, the list and the reconciliation report are the back office's.
  const refund = await call(apiA, till.key, 'POST', '/v1/transactions/tx-1/refunds', { refundId: 'r1', amount: 100, reason: 'x' });
  expect(refund.status).toBe(403);
  expect(refund.body.error?.message).toBe("This route needs the back-office role; this key's role is till");
  expect((await call(apiA, till.key, 'GET', '/v1/transactions')).status).toBe(403);
  expect((await call(apiA, till.key, 'GET', '/v1/reconciliation/runs')).status).toBe(403);
  expect((await call(apiA, till.key, 'GET', '/v1/audit-events')).status).toBe(403);
  expect((await call(apiA, till.key, 'GET', '/v1/webhook-endpoints')).status).toBe(403);
  expect((await call(apiA, till.key, 'GET', '/v1/events')).status).toBe(403);
  expect((await call(apiA, backOffice.key, 'GET', '/v1/webhook-endpoints')).status).toBe(200);
  expect((await call(apiA, backOffice.key, 'GET', '/v1/events')).status).toBe(200);
  // The back office passes the role check: an unknown transaction is then its 404, the list its 200.
  expect(
    (await call(apiA, backOffice.key, 'POST', '/v1/transactions/tx-1/refunds', { refundId: 'r1', amount: 100, reason: 'x' })).status,
  ).toBe(404);
  expect((await call(apiA, backOffice.key, 'GET', '/v1/transactions')).status).toBe(200);
  expect((await call(apiA, backOffice.key, 'GET', '/v1/reconciliation/runs')).status).toBe(200);
  // A configured (API_KEYS) merchant key keeps every merchant route, as before roles existed.
  expect((await call(apiA, ENV_MERCHANT_KEY, 'GET', '/v1/transactions')).status).toBe(200);
});

test('a key id already taken is drawn again, not answered with an error; five taken in a row is an error naming why', async () => {
  const [taken, fresh] = [randomBytes(4).toString('hex'), randomBytes(4).toString('hex')];
  const draws = [taken, taken, fresh];
  const store = new MerchantStore(databases[0], () => draws.shift() ?? taken);
  const issue = () => store.issueKey({ merchantId: MERCHANT, role: 'till', createdBy: 'test', live: false });
  expect(await issue()).toMatchObject({ keyId: `key_${taken}`, prefix: `pos_test_${taken}` });
  expect(await issue()).toMatchObject({ keyId: `key_${fresh}`, prefix: `pos_test_${fresh}` });
  await expect(issue()).rejects.toThrow('five key ids in a row were taken');
});

test('a revoked key is refused at once by every API process sharing the database', async () => {
  // Before: authenticated (then refused by role, without reaching Temporal); after: not authenticated at all.
  const asTill = (api: string) => call(api, till.key, 'POST', '/v1/transactions/tx-1/refunds', { refundId: 'r1', amount: 1, reason: 'x' });
  expect((await asTill(apiB)).status).toBe(403);
  const revoked = await call(apiA, OPERATOR, 'DELETE', `/v1/merchants/${MERCHANT}/keys/${till.keyId}`);
  expect(revoked.status).toBe(200);
  expect(revoked.body).toMatchObject({ keyId: till.keyId, revokedAt: expect.any(String) });
  for (const api of [apiA, apiB]) expect((await asTill(api)).status).toBe(401);
  // The other key of the merchant still works; an unknown key id is a 404.
  expect((await call(apiB, backOffice.key, 'GET', '/v1/transactions')).status).toBe(200);
  expect((await call(apiA, OPERATOR, 'DELETE', `/v1/merchants/${MERCHANT}/keys/key_00000000`)).status).toBe(404);
  const listed = await call(apiA, OPERATOR, 'GET', `/v1/merchants/${MERCHANT}/keys`);
  expect(listed.body.keys).toEqual(expect.arrayContaining([expect.objectContaining({ keyId: till.keyId, revokedAt: expect.any(String) })]));
});

test('the audit trail holds who did what, with the request id; a back office reads its own merchant only', async () => {
  const tagged = await call(
    apiA,
    backOffice.key,
    'POST',
    '/v1/transactions/tx-2/refunds',
    { refundId: 'r9', amount: 5, reason: 'x' },
    {
      'x-request-id': `audit-test-${MERCHANT}`,
    },
  );
  expect(tagged.headers.get('request-id')).toBe(`audit-test-${MERCHANT}`);
  expect(tagged.body.error?.requestId).toBe(`audit-test-${MERCHANT}`);
  // A refused try at another merchant's keys is in the caller's own trail, never in the other merchant's.
  expect((await call(apiA, backOffice.key, 'POST', `/v1/merchants/${OTHER}/keys`, { role: 'till' })).status).toBe(403);
  // Entries are written once the answer has gone: give the last one a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));

  const all = await call(apiA, OPERATOR, 'GET', `/v1/audit-events?merchant=${MERCHANT}&limit=100`);
  expect(all.status).toBe(200);
  const events = all.body.events as Array<Record<string, unknown>>;
  const summary = events.map((e) => [e.action, e.role, e.outcome].map(String).join(' '));
  expect(summary).toEqual(
    expect.arrayContaining([
      'merchant.create operator 201',
      'key.issue operator 201',
      'key.revoke operator 200',
      'refund.create till 403',
      'refund.create back-office 404',
      'key.issue back-office 403',
      'merchant.create till 403',
    ]),
  );
  expect(events.find((e) => e.action === 'key.revoke' && e.outcome === 200)).toMatchObject({
    subject: till.keyId,
    keyPrefix: expect.stringMatching(/^env_/),
  });
  expect(events.find((e) => e.role === 'till')).toMatchObject({ keyPrefix: till.prefix, subject: 'tx-1/refunds/r1' });
  expect(events.find((e) => e.requestId === `audit-test-${MERCHANT}`)).toMatchObject({
    action: 'refund.create',
    keyPrefix: backOffice.prefix,
  });
  expect(events.every((e) => typeof e.requestId === 'string' && e.requestId !== 'none')).toBe(true);

  // The back office reads its merchant's trail only; naming another merchant finds nothing.
  const own = await call(apiA, backOffice.key, 'GET', '/v1/audit-events?limit=100');
  expect((own.body.events as Array<{ merchantId: string }>).every((e) => e.merchantId === MERCHANT)).toBe(true);
  const othersTrail = await call(apiA, OPERATOR, 'GET', `/v1/audit-events?merchant=${OTHER}&limit=100`);
  expect(othersTrail.body.events).not.toContainEqual(expect.objectContaining({ keyPrefix: backOffice.prefix }));
  // Even where an entry names no merchant id at all (an older row with ''), another merchant's name finds nothing.
  await databases[0].query(
    `INSERT INTO audit_events (key_prefix, role, merchant_id, action, subject, request_id, outcome) VALUES ('env_x', 'back-office', '', 'x', NULL, 'r', 403)`,
  );
  const other = await call(apiA, backOffice.key, 'GET', `/v1/audit-events?merchant=${OTHER}`);
  expect(other.body.events).toEqual([]);
});

test("the audit table cannot be changed by the service's own database role: UPDATE, DELETE and TRUNCATE are refused", async () => {
  const db = databases[0];
  await new AuditLog(db).append({
    keyPrefix: 'test',
    role: 'operator',
    action: 'test.append',
    requestId: `append-${MERCHANT}`,
    outcome: 200,
  });
  await expect(db.query(`UPDATE audit_events SET outcome = 500 WHERE request_id = $1`, [`append-${MERCHANT}`])).rejects.toThrow(
    /append-only|permission denied/,
  );
  await expect(db.query(`DELETE FROM audit_events WHERE request_id = $1`, [`append-${MERCHANT}`])).rejects.toThrow(
    /append-only|permission denied/,
  );
  await expect(db.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only|permission denied/);
  const kept = await db.query<{ outcome: number }>(`SELECT outcome FROM audit_events WHERE request_id = $1`, [`append-${MERCHANT}`]);
  expect(kept.rows.map((r) => Number(r.outcome))).toEqual([200]);
  // Without superuser rights the grants refuse it before the trigger does.
  const role = await db.query<{ superuser: boolean; may_update: boolean }>(
    `SELECT rolsuper AS superuser, has_table_privilege(current_user, 'audit_events', 'UPDATE') AS may_update FROM pg_roles WHERE rolname = current_user`,
  );
  if (!role.rows[0].superuser) expect(role.rows[0].may_update).toBe(false);
});

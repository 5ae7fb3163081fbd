/**
 * Merchant events, without Temporal: the outbox rows the records write with the statuses they
 * tell of (once each, numbered per transaction), and the routes: a merchant registers, lists,
 * rotates and disables its own endpoints and reads its own events only; another merchant's are
 * unknown to it (404, empty lists); only https:// URLs (plain http to loopback in the sandbox).
 */
import { openDatabase, type Database } from '../src/shared/database';
import { TransactionRecords } from '../src/transaction/record';
import { RefundRecords } from '../src/refund/record';
import { ReconciliationStore } from '../src/reconciliation/store';
import { transactionKey } from '../src/merchants/model';
import { requestFingerprint } from '../src/transaction/request-fingerprint';
import type { TransactionRequest, TransactionView } from '../src/transaction/model';
import { endpointUrlProblem } from '../src/merchant-events/schemas';
import { startInProcessApi, type InProcessApi } from './helpers/in-process-api';

const KEY_A = 'key-of-merchant-a-0123456789';
const KEY_B = 'key-of-merchant-b-0123456789';
let db: Database;
let api: InProcessApi;
let url: string;

beforeAll(async () => {
  db = await openDatabase({ inMemory: true });
  api = await startInProcessApi({
    db,
    apiKeys: [
      { merchantId: 'shop-a', key: KEY_A },
      { merchantId: 'shop-b', key: KEY_B },
    ],
  });
  url = api.url;
});

afterAll(async () => {
  await api.close();
  await db.close();
});

async function call(key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const request = (merchantId: string, transactionId: string): TransactionRequest => ({
  merchantId,
  transactionId,
  customerId: 'cus_1',
  paymentMethodId: 'pm_1',
  amount: 1250,
  currency: 'EUR',
  capture: 'auto',
});

async function succeeded(merchantId: string, transactionId: string): Promise<void> {
  const records = new TransactionRecords(db);
  const req = request(merchantId, transactionId);
  await records.claim(req, requestFingerprint(req));
  const view: TransactionView = {
    transactionId,
    merchantId,
    customerId: 'cus_1',
    status: 'succeeded',
    amount: 1250,
    currency: 'EUR',
    capture: 'auto',
    authorizedAmount: 1250,
    capturedAmount: 1250,
    zuz: { paymentId: `pay_${transactionId}` },
    steps: [],
  };
  await records.finalize(view);
  await records.finalize({ ...view, status: 'failed' }); // a finalized record is never rewritten: no second event
}

describe('the outbox', () => {
  test('each terminal status, refund outcome and reconciliation refund writes one event, numbered per transaction', async () => {
    await succeeded('shop-a', 'tx-outbox');
    const key = transactionKey('shop-a', 'tx-outbox');
    const refunds = new RefundRecords(db);
    await refunds.reserve(key, { refundId: 'rf-1', amount: 500, reason: 'returned' }, 'fp');
    const outcome = {
      status: 'succeeded' as const,
      zuz: { kind: 'refund' as const, operationId: 'ref_1', status: 'Succeed' as const, amount: 500 },
    };
    await refunds.finalize(key, 'rf-1', outcome);
    await refunds.finalize(key, 'rf-1', outcome); // a repeat: nothing
    const store = new ReconciliationStore(db);
    await store.recordRefund(key, { kind: 'refund', operationId: 'ref_rec', status: 'Succeed', amount: 100 });
    await store.recordRefund(key, { kind: 'refund', operationId: 'ref_rec', status: 'Succeed', amount: 100 });

    const { rows } = await db.query<{ id: string; type: string; sequence: number; data: any }>(
      `SELECT id, type, sequence, data FROM merchant_events WHERE transaction_key = $1 ORDER BY sequence`,
      [key],
    );
    expect(rows.map((r) => [r.type, r.sequence])).toEqual([
      ['transaction.succeeded', 1],
      ['refund.succeeded', 2],
      ['transaction.refunded_by_reconciliation', 3],
    ]);
    expect(rows[0].data).toMatchObject({ transactionId: 'tx-outbox', status: 'succeeded', capturedAmount: 1250 });
    expect(rows[0].data.steps).toBeUndefined();
    // The refund as GET shows it (the record's own view), with its transaction's id.
    const [shown] = await refunds.of(key);
    expect(rows[1].data).toEqual({ ...shown, transactionId: 'tx-outbox' });
    expect(rows[2].data).toMatchObject({ transactionId: 'tx-outbox', zuz: { refundId: 'ref_rec' } });
    expect(new Set(rows.map((r) => r.id)).size).toBe(3);
  });
});

describe('endpoints and events belong to their merchant', () => {
  test('merchant B cannot see or manage merchant A endpoints or events', async () => {
    const created = await call(KEY_A, 'POST', '/v1/webhook-endpoints', {
      url: 'https://a.example/hooks',
      events: ['transaction.succeeded'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://a.example/hooks', events: ['transaction.succeeded'] });
    expect(created.body.secret).toMatch(/^whsec_/);
    const id: string = created.body.id;
    await succeeded('shop-a', 'tx-a-1');

    const listA = await call(KEY_A, 'GET', '/v1/webhook-endpoints');
    expect(listA.body.endpoints.map((e: any) => e.id)).toEqual([id]);
    expect(listA.body.endpoints[0].secret).toBeUndefined(); // shown once only
    expect((await call(KEY_B, 'GET', '/v1/webhook-endpoints')).body).toEqual({ endpoints: [] });
    expect((await call(KEY_B, 'DELETE', `/v1/webhook-endpoints/${id}`)).status).toBe(404);
    expect((await call(KEY_B, 'POST', `/v1/webhook-endpoints/${id}/rotate-secret`)).status).toBe(404);
    expect((await call(KEY_B, 'GET', `/v1/webhook-endpoints/${id}/attempts`)).status).toBe(404);

    const eventsA = await call(KEY_A, 'GET', '/v1/events?type=transaction.succeeded');
    const event = eventsA.body.events.find((e: any) => e.transactionId === 'tx-a-1');
    expect(event).toMatchObject({ type: 'transaction.succeeded', sequence: 1, data: { transactionId: 'tx-a-1' } });
    expect((await call(KEY_B, 'GET', '/v1/events')).body).toEqual({ events: [] });
    expect((await call(KEY_B, 'POST', `/v1/events/${event.id}/redeliver`)).status).toBe(404);
    expect(await call(KEY_A, 'POST', `/v1/events/${event.id}/redeliver`)).toEqual({
      status: 202,
      body: { eventId: event.id, redelivery: 1 },
    });

    // A's own management works: rotation shows the grace period, disabling is for good.
    const rotated = await call(KEY_A, 'POST', `/v1/webhook-endpoints/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const disabled = await call(KEY_A, 'DELETE', `/v1/webhook-endpoints/${id}`);
    expect(disabled.body.disabledAt).toBeDefined();
    expect((await call(KEY_A, 'POST', `/v1/webhook-endpoints/${id}/rotate-secret`)).status).toBe(409);
  });

  test('the events list pages with a cursor, newest first', async () => {
    for (const n of [1, 2, 3]) await succeeded('shop-b', `tx-page-${n}`);
    const first = await call(KEY_B, 'GET', '/v1/events?limit=2');
    expect(first.body.events.map((e: any) => e.transactionId)).toEqual(['tx-page-3', 'tx-page-2']);
    const second = await call(KEY_B, 'GET', `/v1/events?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.events.map((e: any) => e.transactionId)).toEqual(['tx-page-1']);
    expect(second.body.nextCursor).toBeUndefined();
    expect((await call(KEY_B, 'GET', '/v1/events?cursor=bm9wZQ')).status).toBe(400);
  });

  test('a bad URL or event type is refused naming the field', async () => {
    const plain = await call(KEY_A, 'POST', '/v1/webhook-endpoints', { url: 'http://a.example/hooks' });
    expect(plain.status).toBe(400);
    expect(plain.body.error.details[0]).toMatchObject({ field: 'url' });
    expect(plain.body.error.stack).toBeUndefined();
    const type = await call(KEY_A, 'POST', '/v1/webhook-endpoints', { url: 'https://a.example/h', events: ['nope'] });
    expect(type.body.error.details[0].field).toBe('events.0');
    expect((await call(KEY_A, 'POST', '/v1/webhook-endpoints', { url: 'https://a.example/h', extra: 1 })).status).toBe(400);
  });

  test('only https in production; plain http to loopback in the sandbox', () => {
    expect(endpointUrlProblem('https://shop.example/h', false)).toBeUndefined();
    expect(endpointUrlProblem('http://127.0.0.1:9000/h', false)).toBeDefined();
    expect(endpointUrlProblem('http://127.0.0.1:9000/h', true)).toBeUndefined();
    expect(endpointUrlProblem('http://localhost/h', true)).toBeUndefined();
    expect(endpointUrlProblem('http://10.0.0.1/h', true)).toBeDefined();
    expect(endpointUrlProblem('https://user:pw@shop.example/h', false)).toBeDefined();
    expect(endpointUrlProblem('ftp://shop.example', true)).toBeDefined();
  });
});

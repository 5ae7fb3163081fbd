/**
 * The HTTP layer on its own: authentication, validation, the error shape and webhook checks.
 * These requests are all refused before reaching Temporal, so the client here never connects
 * (the end-to-end tests cover the calls that do).
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp } from '../src/api/app';
import { signWebhook } from '../src/infrastructure/zuz/signature';
import { openDatabase } from '../src/infrastructure/database';

const API_KEY = 'test-api-key-0123456789';
const PRIVATE_KEY = 'test-zuz-private-key';
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  // A lazy connection to a port where nothing listens: any call that reached Temporal would fail the test.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 100 }) });
  const app = createApp({
    client,
    db: await openDatabase({ inMemory: true }),
    taskQueue: 'unused',
    config: { apiKeys: ['older-key-0123456789', API_KEY], webhook: { privateKey: PRIVATE_KEY, maxAgeMs: 60_000 } },
    log: pino({ level: 'silent' }),
  });
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(baseUrl + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as { error: { code: string; message: string; details?: Array<{ field: string }> } },
  };
}

const authorized = { authorization: `Bearer ${API_KEY}` };
const valid = { transactionId: 'tx-1', customerId: 'cus_1', paymentMethodId: 'pm_1', amount: 100, currency: 'EUR' };

describe('authentication', () => {
  test('a request without a key is 401 in the one error shape', async () => {
    const res = await post('/v1/transactions', JSON.stringify(valid));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  test('a wrong key is 401; every configured key is accepted (rotation)', async () => {
    expect((await post('/v1/transactions', '{}', { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/v1/transactions', '{}', { authorization: 'Bearer older-key-0123456789' })).status).toBe(400);
  });
});

test('answers carry security headers and are never cached', async () => {
  const response = await fetch(`${baseUrl}/v1/transactions/tx-1`);
  for (const header of ['content-security-policy', 'strict-transport-security', 'x-frame-options', 'referrer-policy']) {
    expect(response.headers.get(header)).toBeTruthy();
  }
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-powered-by')).toBeNull();
});

test('a known path asked with another method is 405 with Allow', async () => {
  const trace = await fetch(`${baseUrl}/healthz`, { method: 'DELETE' });
  expect(trace.status).toBe(405);
  expect(trace.headers.get('allow')).toBe('GET, HEAD');
  const put = await fetch(`${baseUrl}/v1/transactions/tx-1`, { method: 'PUT', headers: authorized });
  expect(put.status).toBe(405);
  expect(((await put.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  expect((await fetch(`${baseUrl}/webhooks/zuz`)).status).toBe(405);
});

test('a cursor the API did not hand out is 400, without asking Temporal', async () => {
  const response = await fetch(`${baseUrl}/v1/transactions?cursor=AAAA.BBBB`, { headers: authorized });
  expect(response.status).toBe(400);
  const body = (await response.json()) as { error: { details: Array<{ field: string }> } };
  expect(body.error.details.map((d) => d.field)).toEqual(['cursor']);
});

describe('validation names the wrong field', () => {
  test.each([
    [{ ...valid, amount: -1 }, 'amount'],
    [{ ...valid, amount: 10.5 }, 'amount'],
    [{ ...valid, amount: '100' }, 'amount'],
    [{ ...valid, currency: 'EURO' }, 'currency'],
    [{ ...valid, currency: 'XYZ' }, 'currency'],
    [{ ...valid, transactionId: 'x'.repeat(65) }, 'transactionId'],
    [{ ...valid, transactionId: 'has space' }, 'transactionId'],
    [{ ...valid, capture: 'later' }, 'capture'],
    [{ ...valid, surprise: true }, 'surprise'],
    [{ customerId: 'cus_1', paymentMethodId: 'pm_1', amount: 100, currency: 'EUR' }, 'transactionId'],
  ])('%j -> 400 on %s', async (body, field) => {
    const res = await post('/v1/transactions', JSON.stringify(body), authorized);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details?.map((d) => d.field)).toContain(field);
  });

  test.each([
    ['status=done', 'status'],
    ['limit=0', 'limit'],
    ['customerId=a%20b', 'customerId'],
    ['page=2', 'page'],
  ])('list query %s -> 400 on %s', async (query, field) => {
    const response = await fetch(`${baseUrl}/v1/transactions?${query}`, { headers: authorized });
    const body = (await response.json()) as { error: { details: Array<{ field: string }> } };
    expect(response.status).toBe(400);
    expect(body.error.details.map((d) => d.field)).toContain(field);
  });

  test('a body that is not JSON is 400, without a stack trace', async () => {
    const res = await post('/v1/transactions', '{"amount": ', authorized);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  test('an oversized body is 413', async () => {
    const res = await post('/v1/transactions', JSON.stringify({ ...valid, description: 'x'.repeat(20_000) }), authorized);
    expect(res.status).toBe(413);
  });

  test('an unknown route is 404 in the one error shape', async () => {
    const res = await post('/v1/nothing-here', '{}', authorized);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('Zuz webhooks', () => {
  const eventType = 'payment.authorization.update';
  const event = () => ({
    id: 'evt_1',
    created: new Date().toISOString(),
    account_id: 'acc',
    app_id: 'app',
    payment_id: 'pay_1',
    data: {
      id: 'auth_1',
      created: new Date().toISOString(),
      amount: 100,
      currency: 'EUR',
      reconciliation_id: 'tx-1',
      result: { status: 'Succeed' },
    },
  });

  test('a wrong signature is 401', async () => {
    const body = event();
    const res = await post('/webhooks/zuz', JSON.stringify(body), { 'event-type': eventType, signature: 'sig1=' + '0'.repeat(64) });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_signature');
  });

  test('a signature made with another key is 401', async () => {
    const body = event();
    const res = await post('/webhooks/zuz', JSON.stringify(body), {
      'event-type': eventType,
      signature: signWebhook({ eventType, body }, 'other-key'),
    });
    expect(res.status).toBe(401);
  });

  test('a malformed event is 400 naming the field', async () => {
    const body = { ...event(), payment_id: undefined };
    const res = await post('/webhooks/zuz', JSON.stringify(body), { 'event-type': eventType, signature: 'sig1=00' });
    expect(res.status).toBe(400);
    expect(res.body.error.details?.map((d) => d.field)).toContain('payment_id');
  });

  test('a correctly signed but stale event is refused', async () => {
    const body = { ...event(), created: new Date(Date.now() - 120_000).toISOString() };
    const res = await post('/webhooks/zuz', JSON.stringify(body), {
      'event-type': eventType,
      signature: signWebhook({ eventType, body }, PRIVATE_KEY),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('stale_event');
  });

  test('a signed event about a resource the flow does not track is acknowledged and ignored', async () => {
    const body = event();
    const type = 'payment.refund.create';
    const res = await post('/webhooks/zuz', JSON.stringify(body), {
      'event-type': type,
      signature: signWebhook({ eventType: type, body }, PRIVATE_KEY),
    });
    expect(res.status).toBe(200);
  });
});

describe('Temporal unreachable (the app here talks to a port where nothing listens)', () => {
  test('every transaction route answers 503 with Retry-After, and a refused POST leaves no record behind', async () => {
    const created = await post('/v1/transactions', JSON.stringify({ ...valid, transactionId: 'tx-unreachable' }), authorized);
    expect(created.status).toBe(503);
    expect(created.headers.get('retry-after')).toBe('5');
    expect(created.body.error.code).toBe('unavailable');
    // The claim was withdrawn: the list (from the record) does not show it, and a GET has nothing recorded to fall back on.
    const list = await fetch(`${baseUrl}/v1/transactions`, { headers: authorized });
    expect(
      ((await list.json()) as { transactions: Array<{ transactionId: string }> }).transactions.map((t) => t.transactionId),
    ).not.toContain('tx-unreachable');

    const read = await fetch(`${baseUrl}/v1/transactions/tx-unreachable`, { headers: authorized });
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('5');
    const captured = await post('/v1/transactions/tx-unreachable/capture', '{}', authorized);
    expect(captured.status).toBe(503);
  });
});

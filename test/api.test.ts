/**
 * The HTTP layer on its own: authentication, validation, the error shape and webhook checks.
 * These requests are all refused before reaching Temporal, so the client here never connects
 * (the end-to-end tests cover the calls that do).
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp } from '../src/api/app';
import { startApiServer } from '../src/api/server';
import { signWebhook } from '../src/zuz/signature';
import { openDatabase } from '../src/shared/database';

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
    config: {
      apiKeys: [
        { merchantId: 'default', key: 'older-key-0123456789' },
        { merchantId: 'default', key: API_KEY },
      ],
      webhook: { privateKey: PRIVATE_KEY, maxAgeMs: 60_000 },
    },
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

  test('a control character in free text (NUL, which the database cannot hold) is a 400 naming the field, not a 500', async () => {
    const res = await post('/v1/transactions', JSON.stringify({ ...valid, transactionId: 'tx-nul', description: 'a\u0000b' }), authorized);
    expect(res.status).toBe(400);
    expect(res.body.error.details?.map((d) => d.field)).toEqual(['description']);
  });

  test('a card number in free text (a description, a refund reason) is a 400 naming the field: nothing is stored or sent', async () => {
    for (const description of ['card 4111 1111 1111 1111', 'pan 4111-1111-1111-1111', '5500005555555559']) {
      const res = await post('/v1/transactions', JSON.stringify({ ...valid, transactionId: 'tx-pan', description }), authorized);
      expect({ description, status: res.status, fields: res.body.error.details?.map((d) => d.field) }).toEqual({
        description,
        status: 400,
        fields: ['description'],
      });
      expect(res.body.error.details?.[0]).toMatchObject({ message: 'description must not contain a card number' });
      expect(JSON.stringify(res.body)).not.toContain(description); // the answer does not echo it either
    }
    const refund = await post(
      '/v1/transactions/tx-1/refunds',
      JSON.stringify({ refundId: 'r1', reason: 'refund to 4111111111111111' }),
      authorized,
    );
    expect([refund.status, refund.body.error.details?.map((d) => d.field)]).toEqual([400, ['reason']]);
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

  test('an unsigned malformed event learns nothing about its fields: 401, no details', async () => {
    const body = { ...event(), payment_id: undefined, data: { ...event().data, amount: 'lots' } };
    const res = await post('/webhooks/zuz', JSON.stringify(body), { 'event-type': 'nonsense', signature: 'sig1=00' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_signature');
    expect(res.body.error.details).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toMatch(/payment_id|amount|event-type/);
  });

  test('a correctly signed malformed event is 400 naming the field', async () => {
    const body = { ...event(), payment_id: undefined };
    const res = await post('/webhooks/zuz', JSON.stringify(body), {
      'event-type': eventType,
      signature: signWebhook({ eventType, body }, PRIVATE_KEY),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details?.map((d) => d.field)).toContain('payment_id');
  });

  test('a signed field containing the separator is refused: its signature would also fit another event', async () => {
    // The signature joins fields with commas, so text can move across a comma between adjacent
    // fields under the same signature: a captured `genuine` decline would verify `shifted`, whose
    // provider response code is now another one.
    const base = event();
    const genuine = {
      ...base,
      data: { ...base.data, result: { status: 'Failed', sub_category: 'declined, 05' }, provider_data: { response_code: '51' } },
    };
    const shifted = {
      ...base,
      data: { ...base.data, result: { status: 'Failed', sub_category: 'declined' }, provider_data: { response_code: ' 05,51' } },
    };
    const signature = signWebhook({ eventType, body: genuine }, PRIVATE_KEY);
    expect(signWebhook({ eventType, body: shifted }, PRIVATE_KEY)).toBe(signature);
    for (const body of [genuine, shifted]) {
      const res = await post('/webhooks/zuz', JSON.stringify(body), { 'event-type': eventType, signature });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_signature');
    }
  });

  test('an unsigned body with an object or array where a string is signed is refused with 401, never a 500 (issue 38, finding 1)', async () => {
    for (const body of [
      { id: { toString: 0 } }, // String() of this throws
      { id: ['evt'] },
      { ...event(), payment_id: { id: 'pay' } },
      { ...event(), data: { ...event().data, amount: [100] } },
    ]) {
      const res = await post('/webhooks/zuz', JSON.stringify(body), { 'event-type': eventType, signature: 'sig1=00' });
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 401, code: 'invalid_signature' });
    }
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
    const type = 'payment.payment.update';
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
    // Each route's Temporal call is retried by the SDK's client for about 20 s before the 503: three of them do not fit jest's default minute.
  }, 180_000);

  test('a genuine webhook is 503 with Retry-After, so Zuz keeps it and retries (never a 2xx it cannot stand behind)', async () => {
    const eventType = 'payment.capture.update';
    const body = {
      id: 'evt_unreachable',
      created: new Date().toISOString(),
      account_id: 'acc',
      app_id: 'app',
      payment_id: 'pay_1',
      data: {
        id: 'cap_1',
        created: new Date().toISOString(),
        amount: 100,
        currency: 'EUR',
        reconciliation_id: 'tx-1',
        result: { status: 'Succeed' },
      },
    };
    const res = await post('/webhooks/zuz', JSON.stringify(body), {
      'event-type': eventType,
      signature: signWebhook({ eventType, body }, PRIVATE_KEY),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body.error.code).toBe('unavailable');
  });
});

describe('metrics have a listener of their own (API_METRICS_ADDRESS), never the public port', () => {
  test('the public app answers 404 for /metrics', async () => {
    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  test("startApiServer serves the public app's counters on the metrics address only", async () => {
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 100 }) });
    const db = await openDatabase({ inMemory: true });
    const api = await startApiServer({
      client,
      db,
      taskQueue: 'unused',
      config: {
        host: '127.0.0.1',
        port: 0,
        apiKeys: [{ merchantId: 'default', key: API_KEY }],
        operatorKeys: [],
        webhook: { privateKey: PRIVATE_KEY, maxAgeMs: 60_000 },
        metrics: { host: '127.0.0.1', port: 0 },
      },
      log: pino({ level: 'silent' }),
    });
    try {
      expect(api.metricsUrl).not.toBe(api.url);
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
      const metrics = await fetch(`${api.metricsUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      // The request to the public port above is what is counted: the listeners share one registry.
      expect(await metrics.text()).toMatch(/pos_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
      expect((await fetch(`${api.metricsUrl}/v1/transactions`)).status).toBe(404); // the metrics listener serves nothing else
      expect((await fetch(`${api.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await api.close();
      await db.close();
    }
    await expect(fetch(`${api.metricsUrl}/metrics`)).rejects.toThrow(); // close() closes both
  });
});

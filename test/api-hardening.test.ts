/**
 * Issue 38, finding 7 and the API side of finding 2: `Bearer` in any case, failed
 * authentications logged (never the key) and rate-limited per client address, /readyz answering
 * from a short cache instead of calling Temporal on every request, list cursors signed with a key
 * of their own (never derived from ZUZ_PRIVATE_KEY), and a per-merchant bound on concurrent lists.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { errorHandler } from '../src/api/errors';
import { limitConcurrentPerMerchant } from '../src/api/rate-limit';
import { openDatabase, type Database } from '../src/shared/database';

const KEY = 'cafe-key-0123456789';
const servers: Server[] = [];
let db: Database;

beforeAll(async () => {
  db = await openDatabase({ inMemory: true });
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await db.close();
});

async function listen(app: express.Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A logger whose lines the test reads. */
function capturingLog(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const lazyClient = () => new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 100 }) });

function apiApp(
  options: { log?: pino.Logger; client?: Client; cursorKey?: Buffer; privateKey?: string; failedAuthLimitPerMinute?: number } = {},
) {
  return listen(
    createApp({
      client: options.client ?? lazyClient(),
      db,
      taskQueue: 'unused',
      config: {
        apiKeys: [{ merchantId: 'cafe', key: KEY }],
        webhook: { privateKey: options.privateKey ?? 'test-zuz-private-key', maxAgeMs: 60_000 },
        cursorKey: options.cursorKey,
        failedAuthLimitPerMinute: options.failedAuthLimitPerMinute,
      },
      log: options.log ?? pino({ level: 'silent' }),
    }),
  );
}

const create = (url: string, authorization: string) =>
  fetch(`${url}/v1/transactions`, { method: 'POST', body: '{}', headers: { authorization, 'content-type': 'application/json' } });

test('the Bearer scheme is case-insensitive (RFC 9110 section 11.1)', async () => {
  const url = await apiApp();
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) expect((await create(url, `${scheme} ${KEY}`)).status).toBe(400);
  expect((await create(url, `Basic ${KEY}`)).status).toBe(401);
});

test('a failed authentication is logged with its reason and address, never the key given', async () => {
  const { log, lines } = capturingLog();
  const url = await apiApp({ log });
  const wrong = 'wrong-key-9876543210-secret';
  expect((await create(url, `Bearer ${wrong}`)).status).toBe(401);
  expect((await create(url, '')).status).toBe(401);
  const failures = lines.filter((line) => line.msg === 'authentication failed');
  expect(failures).toHaveLength(2);
  expect(failures[0]).toMatchObject({ reason: 'unknown key', path: '/v1/transactions', method: 'POST' });
  expect(failures[1]).toMatchObject({ reason: 'no bearer credentials' });
  expect(typeof failures[0].ip).toBe('string');
  expect(JSON.stringify(lines)).not.toContain(wrong);
  expect(JSON.stringify(lines)).not.toContain(KEY);
});

test('failed authentications are rate-limited per client address; a valid key is then refused too until the window passes', async () => {
  const url = await apiApp({ failedAuthLimitPerMinute: 3 });
  expect((await create(url, `Bearer ${KEY}`)).status).toBe(400); // successes are not counted
  for (let i = 0; i < 3; i++) expect((await create(url, 'Bearer guess-0123456789')).status).toBe(401);
  const refused = await create(url, 'Bearer guess-0123456789');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_many_failed_authentications');
  expect((await create(url, `Bearer ${KEY}`)).status).toBe(429);
});

test('/readyz asks Temporal at most once per few seconds, however often it is called', async () => {
  let calls = 0;
  const client = {
    connection: { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() },
    workflowService: {
      getSystemInfo: async () => {
        calls++;
        return {};
      },
    },
  } as unknown as Client;
  const url = await apiApp({ client });
  const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/readyz`)));
  for (const answer of answers) expect(answer.status).toBe(200);
  for (let i = 0; i < 10; i++) expect((await fetch(`${url}/readyz`)).status).toBe(200);
  expect(calls).toBe(1);
});

describe('list cursors are signed with a key of their own', () => {
  const listOnce = async (url: string) => {
    const response = await fetch(`${url}/v1/transactions?limit=1`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { nextCursor?: string }).nextCursor;
  };
  const follow = (url: string, cursor: string) =>
    fetch(`${url}/v1/transactions?limit=1&cursor=${cursor}`, { headers: { authorization: `Bearer ${KEY}` } });

  beforeAll(async () => {
    for (const id of ['a', 'b'])
      await db.query(
        `INSERT INTO transactions (transaction_id, request_fingerprint, customer_id, payment_method_id, amount, currency, capture_mode, status, merchant_id, finalized_at)
         VALUES ($1, 'f', 'cus', 'pm', 100, 'EUR', 'auto', 'succeeded', 'cafe', now())`,
        [`cafe/${id}`],
      );
  });

  test('one API key signs, another with the same ZUZ_PRIVATE_KEY refuses; the same cursor key accepts', async () => {
    const cursorKey = Buffer.alloc(32, 1);
    const first = await apiApp({ cursorKey });
    const cursor = await listOnce(first);
    expect(cursor).toBeDefined();
    expect((await follow(await apiApp({ cursorKey }), cursor!)).status).toBe(200);
    // Same Zuz key, another cursor key: under the old derivation from ZUZ_PRIVATE_KEY this was accepted.
    expect((await follow(await apiApp({ cursorKey: Buffer.alloc(32, 2) }), cursor!)).status).toBe(400);
  });
});

test('a merchant may run only so many lists at once; another merchant is not held back', async () => {
  const gates: Array<() => void> = [];
  const app = express();
  app.use((req, res, next) => {
    res.locals.merchantId = req.header('x-merchant');
    next();
  });
  app.get('/list', limitConcurrentPerMerchant({ limit: 2 }), (_req, res) => {
    gates.push(() => res.json({ ok: true }));
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  const url = await listen(app);
  const list = (merchant: string) => fetch(`${url}/list`, { headers: { 'x-merchant': merchant } });
  const held = [list('cafe'), list('cafe')];
  while (gates.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  const refused = await list('cafe');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toBe('1');
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_many_concurrent_requests');
  const other = list('bar');
  while (gates.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  for (const open of gates.splice(0)) open();
  expect((await other).status).toBe(200);
  for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
  // Slots are given back when the answers end.
  const again = list('cafe');
  while (gates.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  gates.splice(0).forEach((open) => open());
  expect((await again).status).toBe(200);
});

/**
 * Per-key rate limits: past its limit within the window a key gets 429 `rate_limited` in the
 * API's error shape with `Retry-After`; other keys, and the same key id of another merchant,
 * are counted apart; the window ends and the key may call again.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { errorHandler } from '../src/api/errors';
import { rateLimitPerKey } from '../src/api/rate-limit';
import { openDatabase, type Database } from '../src/shared/database';

const servers: Server[] = [];

/** Stands in for requireApiKey: `Bearer <merchant>/<keyId>` sets what authentication would. */
function appWith(limiter: express.RequestHandler, authenticate = true): express.Express {
  const app = express();
  app.use(
    '/v1',
    (req, res, next) => {
      const [merchantId, apiKeyId] = (req.header('authorization') ?? '').replace(/^Bearer /, '').split('/');
      if (authenticate) Object.assign(res.locals, { merchantId, apiKeyId });
      next();
    },
    limiter,
  );
  app.get('/v1/ping', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  return app;
}

async function listen(app: express.Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

const ping = (url: string, key: string) => fetch(`${url}/v1/ping`, { headers: { authorization: `Bearer ${key}` } });

test('the request after the limit is 429 rate_limited with Retry-After; other keys and merchants are counted apart', async () => {
  const url = await listen(appWith(rateLimitPerKey({ limit: 3 })));
  for (let i = 0; i < 3; i++) expect((await ping(url, 'cafe/key-a')).status).toBe(200);

  const refused = await ping(url, 'cafe/key-a');
  expect(refused.status).toBe(429);
  const retryAfter = Number(refused.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60).toBe(true);
  const body = (await refused.json()) as { error: { code: string; message: string } };
  expect(body).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining(`retry after ${retryAfter} seconds`) } });
  expect((await ping(url, 'cafe/key-a')).status).toBe(429); // still refused, not reset by being refused

  expect((await ping(url, 'cafe/key-b')).status).toBe(200); // another key of the same merchant
  expect((await ping(url, 'bar/key-a')).status).toBe(200); // the same key id under another merchant
});

test('once the window has passed the key may call again', async () => {
  const url = await listen(appWith(rateLimitPerKey({ limit: 1, windowMs: 1000 })));
  expect((await ping(url, 'cafe/key-a')).status).toBe(200);
  const refused = await ping(url, 'cafe/key-a');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toBe('1');
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect((await ping(url, 'cafe/key-a')).status).toBe(200);
});

test('mounted before authentication it fails every request rather than count all callers as one', async () => {
  const url = await listen(appWith(rateLimitPerKey({ limit: 100 }), false));
  const response = await ping(url, 'cafe/key-a');
  expect(response.status).toBe(500);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('internal_error');
});

describe('in the API app (API_RATE_LIMIT_PER_MINUTE)', () => {
  const keys = [
    { merchantId: 'cafe', key: 'cafe-key-0123456789' },
    { merchantId: 'bar', key: 'bar-key-0123456789' },
  ];
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ inMemory: true });
  });
  afterAll(() => db.close());

  function apiApp(rateLimitPerMinute?: number): Promise<string> {
    // Nothing here reaches Temporal: an empty body is refused (400) before the route would call it.
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 100 }) });
    const config = { apiKeys: keys, webhook: { privateKey: 'test-zuz-private-key', maxAgeMs: 60_000 }, rateLimitPerMinute };
    return listen(createApp({ client, db, taskQueue: 'unused', config, log: pino({ level: 'silent' }) }));
  }
  const create = (url: string, key: string) =>
    fetch(`${url}/v1/transactions`, {
      method: 'POST',
      body: '{}',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });

  test('counts each key after authentication', async () => {
    const url = await apiApp(2);
    expect((await create(url, 'cafe-key-0123456789')).status).toBe(400);
    expect((await create(url, 'cafe-key-0123456789')).status).toBe(400);
    const refused = await create(url, 'cafe-key-0123456789');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect((await create(url, 'bar-key-0123456789')).status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await create(url, 'wrong-key-0123456789')).status).toBe(401); // unauthenticated: refused before counting
  });

  test('is off when unset', async () => {
    const url = await apiApp(undefined);
    for (let i = 0; i < 5; i++) expect((await create(url, 'cafe-key-0123456789')).status).toBe(400);
  });
});

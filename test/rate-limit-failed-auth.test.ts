/**
 * The failed-authentication limit counts 401s only, when they are answered: a till with many
 * requests in flight (Temporal slow) or requests it gave up on is never locked out by it. The
 * limit's own refusal after `limit` 401s is shown in test/api-hardening.test.ts.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { rateLimitFailedAuthentications } from '../src/api/rate-limit';

let server: Server;
let url: string;
let release: () => void = () => undefined;
let slow = new Promise<void>((resolve) => (release = resolve));

beforeAll(async () => {
  const app = express();
  app.use(rateLimitFailedAuthentications({ limit: 3 }));
  // A valid key whose answer waits (as on a slow Temporal); `deny` stands for a wrong key.
  app.get('/slow', async (_req, res) => {
    await slow;
    res.json({ ok: true });
  });
  app.get('/deny', (_req, res) => res.status(401).json({ error: { code: 'unauthorized' } }));
  app.get('/ok', (_req, res) => res.json({ ok: true }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  release();
  server.close();
});

test('requests in flight count for nothing: ten slow valid requests at once, all answered', async () => {
  const answers = Array.from({ length: 10 }, () => fetch(`${url}/slow`));
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect((await fetch(`${url}/ok`)).status).toBe(200);
  release();
  expect((await Promise.all(answers)).map((a) => a.status)).toEqual(Array(10).fill(200));
});

test('requests the client gave up on count for nothing', async () => {
  slow = new Promise<void>((resolve) => (release = resolve));
  for (let i = 0; i < 5; i++) {
    const abort = new AbortController();
    const request = fetch(`${url}/slow`, { signal: abort.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    await request;
  }
  expect((await fetch(`${url}/ok`)).status).toBe(200);
  release();
});

test('401s count: past the limit the address is refused, a valid request too (control)', async () => {
  for (let i = 0; i < 3; i++) expect((await fetch(`${url}/deny`)).status).toBe(401);
  const refused = await fetch(`${url}/ok`);
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
});

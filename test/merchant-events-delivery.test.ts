/**
 * Delivery at least once, in Temporal (a real dev server, the real workflow and activities, the
 * outbox's dispatcher, local HTTP receivers): an endpoint answering 500 three times, then 200, gets
 * every event exactly once after its 2xx, every attempt recorded and every body signed; an
 * endpoint that never answers is retried (each attempt cut off by its timeout) and holds up
 * nothing: another endpoint of the same merchant gets the same events at once.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createMerchantEventActivities } from '../src/merchant-events/activities';
import { openDatabase, type Database } from '../src/shared/database';
import { startMerchantEventDispatcher, type Dispatcher } from '../src/merchant-events/dispatcher';
import { MerchantEventStore } from '../src/merchant-events/store';
import { verifyMerchantEventSignature } from '../src/merchant-events/signature';
import { TransactionRecords } from '../src/transaction/record';
import { requestFingerprint } from '../src/transaction/request-fingerprint';
import type { TransactionRequest } from '../src/transaction/model';
import { bundleWorkflows, createDevServerEnv } from './helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Database;
let worker: Worker;
let running: Promise<void>;
let dispatcher: Dispatcher;
const servers: Server[] = [];
const sockets = new Set<Socket>();
const taskQueue = `merchant-events-${randomUUID()}`;

beforeAll(async () => {
  const [started, workflowBundle] = await Promise.all([createDevServerEnv(), bundleWorkflows()]);
  env = started;
  db = await openDatabase({ inMemory: true });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: createMerchantEventActivities(db),
  });
  running = worker.run();
  dispatcher = startMerchantEventDispatcher({
    client: env.client,
    db,
    taskQueue,
    intervalMs: 200,
    retry: { initialInterval: '200 milliseconds', maximumInterval: '1 second', deadline: '2 minutes', attemptTimeoutMs: 1_000 },
  });
}, 180_000);

afterAll(async () => {
  await dispatcher?.stop();
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  worker?.shutdown();
  await running;
  await db?.close();
  await env?.teardown();
});

interface Received {
  eventId: string;
  status: number;
  signed: boolean;
  at: number;
}

/** A receiver on a free loopback port; `answer` decides each request's status (undefined: never answers). */
async function receiver(answer: (n: number) => number | undefined, secret: () => string) {
  const received: Received[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const status = answer(n++);
      const eventId = (JSON.parse(body) as { id: string }).id;
      const signed = verifyMerchantEventSignature(body, String(req.headers['pos-signature']), secret());
      received.push({ eventId, status: status ?? 0, signed, at: Date.now() });
      if (status !== undefined) res.writeHead(status).end();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, received };
}

async function finalizeSucceeded(merchantId: string, transactionId: string): Promise<void> {
  const records = new TransactionRecords(db);
  const request: TransactionRequest = {
    merchantId,
    transactionId,
    customerId: 'cus_1',
    paymentMethodId: 'pm_1',
    amount: 700,
    currency: 'EUR',
    capture: 'auto',
  };
  await records.claim(request, requestFingerprint(request));
  await records.finalize({ ...request, status: 'succeeded', authorizedAmount: 700, capturedAmount: 700, zuz: {} });
}

async function eventIdsOf(merchantId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM merchant_events WHERE merchant_id = $1 ORDER BY id`, [merchantId]);
  return rows.map((row) => row.id);
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('500 three times, then 200: every event arrives, signed, exactly once after its 2xx; every attempt is listed', async () => {
  const store = new MerchantEventStore(db);
  let secret = '';
  const flaky = await receiver(
    (n) => (n < 3 ? 500 : 200),
    () => secret,
  );
  const endpoint = await store.createEndpoint('shop-flaky', flaky.url, null);
  secret = endpoint.secret;
  for (const n of [1, 2, 3]) await finalizeSucceeded('shop-flaky', `tx-flaky-${n}`);
  const events = await eventIdsOf('shop-flaky');
  expect(events).toHaveLength(3);

  const accepted = () => flaky.received.filter((r) => r.status === 200).map((r) => r.eventId);
  await until(() => new Set(accepted()).size === 3, 60_000, 'every event to be accepted');
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // nothing more may come
  expect(accepted().sort()).toEqual(events); // each event once, by id
  for (const id of events) {
    const acceptedAt = flaky.received.find((r) => r.eventId === id && r.status === 200)!.at;
    expect(flaky.received.filter((r) => r.eventId === id && r.at > acceptedAt)).toEqual([]);
  }
  expect(flaky.received.filter((r) => r.status === 500)).toHaveLength(3);
  expect(flaky.received.every((r) => r.signed)).toBe(true);

  const attempts = await store.attemptsOf(endpoint.id, 100);
  expect(attempts.filter((a) => a.statusCode === 500)).toHaveLength(3);
  expect(
    attempts
      .filter((a) => a.statusCode === 200)
      .map((a) => a.eventId)
      .sort(),
  ).toEqual(events);
  const { rows } = await db.query<{ status: string }>(`SELECT status FROM webhook_deliveries WHERE endpoint_id = $1`, [endpoint.id]);
  expect(rows.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
}, 180_000);

test('an endpoint that never answers is retried on schedule and does not hold up another endpoint', async () => {
  const store = new MerchantEventStore(db);
  const secrets: Record<string, string> = {};
  const silent = await receiver(
    () => undefined,
    () => secrets.silent,
  );
  const healthy = await receiver(
    () => 200,
    () => secrets.healthy,
  );
  secrets.silent = (await store.createEndpoint('shop-two', silent.url, null)).secret;
  const healthyEndpoint = await store.createEndpoint('shop-two', healthy.url, ['transaction.succeeded']);
  secrets.healthy = healthyEndpoint.secret;
  const silentId = (await store.listEndpoints('shop-two')).find((e) => e.url === silent.url)!.id;

  const startedAt = Date.now();
  for (const n of [1, 2, 3, 4]) await finalizeSucceeded('shop-two', `tx-two-${n}`);
  const events = await eventIdsOf('shop-two');
  await until(() => new Set(healthy.received.map((r) => r.eventId)).size === 4, 90_000, 'the healthy endpoint to get every event');
  // Well inside one attempt timeout of the silent endpoint per event (4 x 1 s) plus dispatch: nobody waited for it.
  expect(Math.max(...healthy.received.map((r) => r.at)) - startedAt).toBeLessThan(3_500);
  expect(healthy.received.every((r) => r.signed)).toBe(true);
  expect(healthy.received.map((r) => r.eventId).sort()).toEqual(events);

  // The silent endpoint: each event's attempts cut off by the timeout, and retried.
  await until(
    async () => (await store.attemptsOf(silentId, 100)).filter((a) => a.eventId === events[0]).length >= 3,
    90_000,
    'the silent endpoint to be retried',
  );
  const attempts = await store.attemptsOf(silentId, 100);
  expect(attempts.every((a) => a.statusCode === undefined && /timeout/.test(a.error ?? ''))).toBe(true);
  // Cut off at about the attempt's 1 s timeout, never left hanging (the upper bound leaves room for a slow CI machine).
  expect(attempts.every((a) => a.durationMs >= 900 && a.durationMs < 10_000)).toBe(true);
  expect(new Set(silent.received.map((r) => r.eventId))).toEqual(new Set(events));
}, 240_000);

/**
 * A merchant whose webhook endpoint never answers cannot slow anyone's payments: the merchants'
 * event deliveries run on a task queue of their own, served by a worker of their own (in the same
 * process) with its own activity slots. Run as processes (`dist/`, test/helpers/journey-stack.ts)
 * with two activity slots each: the endpoint holds both delivery slots for two minutes, and
 * payments still go through at once. With the deliveries on the payments' own queue (the wiring
 * before; a copy of dist/ so changed, run through POS_JOURNEY_DIST) the held slots were the
 * payments' too, and this test failed: the next payment stalled in `processing`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startJourneyStack, type JourneyStack } from './helpers/journey-stack';

const MERCHANT = 'iso-shop';
const KEY = `iso-key-${randomBytes(16).toString('hex')}`;
const OPERATOR_KEY = `iso-operator-${randomBytes(16).toString('hex')}`;
/** How long the endpoint's silence holds a delivery attempt (and its slot). */
const ATTEMPT_TIMEOUT_MS = 120_000;

/** An endpoint that takes every request and never answers. */
class SilentEndpoint {
  readonly held: ServerResponse[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<SilentEndpoint> {
    const server = createServer();
    const endpoint = new SilentEndpoint(server);
    server.on('request', (_req, res) => endpoint.held.push(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function call(stack: JourneyStack, method: 'GET' | 'POST', route: string, body?: unknown) {
  const response = await fetch(stack.apiUrls[0] + route, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Polls until `done` or `ms` have passed; the last value either way. */
async function pollFor<T>(ms: number, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const giveUpAt = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > giveUpAt) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const TERMINAL = ['succeeded', 'declined', 'failed', 'cancelled'];

/** Starts a card payment and follows it for up to `ms`; its last status. */
async function pay(stack: JourneyStack, ms: number): Promise<string> {
  const transactionId = `iso-${randomUUID()}`;
  const created = await call(stack, 'POST', '/v1/transactions', {
    transactionId,
    customerId: 'cus_demo',
    paymentMethodId: 'pm_approved',
    amount: 1250,
    currency: 'EUR',
  });
  expect(created.status).toBe(202);
  const view = await pollFor(
    ms,
    () => call(stack, 'GET', `/v1/transactions/${transactionId}`),
    (answer) => TERMINAL.includes(String(answer.body.status)),
  );
  return String(view.body.status);
}

/**
 * A stack whose worker has 2 activity slots for payments and 2 for deliveries, and a merchant
 * endpoint that never answers. One payment, then its events' deliveries hold both delivery slots.
 */
async function withHeldDeliverySlots(serviceEnv: Record<string, string>, then: (stack: JourneyStack) => Promise<void>): Promise<void> {
  if (!process.env.DATABASE_URL)
    throw new Error('test/merchant-events-isolation.test.ts needs DATABASE_URL (test/global-setup.ts starts one)');
  const endpoint = await SilentEndpoint.start();
  const stack = await startJourneyStack({
    databaseUrl: process.env.DATABASE_URL,
    apiKeys: `${MERCHANT}:${KEY}`,
    operatorKeys: OPERATOR_KEY,
    serviceEnv: {
      WORKER_MAX_CONCURRENT_ACTIVITIES: '2',
      WORKER_MAX_CONCURRENT_DELIVERIES: '2',
      MERCHANT_EVENTS_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
      ...serviceEnv,
    },
  });
  try {
    expect((await call(stack, 'POST', '/v1/webhook-endpoints', { url: endpoint.url })).status).toBe(201);
    expect(await pay(stack, 120_000)).toBe('succeeded');
    // transaction.authorized and transaction.succeeded: both delivery attempts now wait on the endpoint.
    await pollFor(
      60_000,
      async () => endpoint.held.length,
      (held) => held >= 2,
    );
    expect(endpoint.held.length).toBeGreaterThanOrEqual(2);
    await then(stack);
  } catch (err) {
    throw new Error(`${String(err)}\n${stack.tails()}`);
  } finally {
    await stack.stop();
    await endpoint.close();
  }
}

test('with every delivery slot held by a silent merchant endpoint, payments still finish at once', async () => {
  await withHeldDeliverySlots({}, async (stack) => {
    for (let i = 0; i < 2; i++) expect(await pay(stack, 60_000)).toBe('succeeded');
  });
}, 600_000);

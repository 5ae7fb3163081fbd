/**
 * Replays add nothing, measured on the real stack: one signed Zuz event, padded to the body limit
 * with unsigned text, sent again and again to a transaction that holds money (a manual capture
 * waiting). Its workflow's history must not grow after the first delivery, the padding must not
 * reach the history, and the API must keep answering. `npm test` sends WEBHOOK_REPLAYS (1,000 by
 * default); the figure in docs/protections.md is `WEBHOOK_REPLAYS=10000 npx jest test/webhook-replay.test.ts`.
 */
import { randomUUID } from 'node:crypto';
import { workflowIdFor } from '../src/transaction/model';
import { MAX_DESCRIPTION_LENGTH } from '../src/zuz/results';
import { signWebhook } from '../src/zuz/signature';
import { DEV_DEFAULTS, type LocalStack } from '../sandbox/local-stack';
import { callApi, startTestStack } from './helpers/stack';
import { decodeHistory } from './helpers/history-payloads';

const REPLAYS = Number(process.env.WEBHOOK_REPLAYS ?? 1000);
const CONCURRENCY = 16;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('replay');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

function api(method: 'GET' | 'POST', route: string, body?: unknown) {
  return callApi<{ status: string; zuz: { paymentId?: string; authorizationId?: string } }>(stack, method, route, body);
}

test(`${REPLAYS} replays of one signed event leave the workflow's history as the first delivery left it`, async () => {
  const id = `replay-${randomUUID()}`;
  const created = await api('POST', '/v1/transactions', {
    transactionId: id,
    customerId: 'cus_demo',
    paymentMethodId: 'pm_approved',
    amount: 900,
    currency: 'EUR',
    capture: 'manual',
  });
  expect(created.status).toBe(202);
  let view = (await api('GET', `/v1/transactions/${id}`)).body;
  while (view.status !== 'authorized') {
    await new Promise((r) => setTimeout(r, 100));
    view = (await api('GET', `/v1/transactions/${id}`)).body;
  }

  // A genuine event (signed with the sandbox's Zuz key) about the transaction's authorization,
  // padded with unsigned text to just under the webhook's 64 kB body limit.
  const eventType = 'payment.authorization.update';
  const body = {
    id: `evt_${randomUUID()}`,
    created: new Date().toISOString(),
    account_id: 'acc',
    app_id: DEV_DEFAULTS.ZUZ_APP_ID,
    payment_id: view.zuz.paymentId,
    data: {
      id: view.zuz.authorizationId,
      created: new Date().toISOString(),
      amount: 900,
      currency: 'EUR',
      reconciliation_id: id,
      result: { status: 'Succeed', description: 'x'.repeat(60_000) },
    },
  };
  const raw = JSON.stringify(body);
  const headers = {
    'content-type': 'application/json',
    'event-type': eventType,
    signature: signWebhook({ eventType, body }, DEV_DEFAULTS.ZUZ_PRIVATE_KEY),
  };
  // A connection reset before any answer (a kept-alive socket the server closed as it was reused,
  // seen once under a loaded CI) is a delivery that did not arrive: Zuz sends it again, and so does
  // this test, up to three times, counting them. Every answer received is still checked below.
  let transportRetries = 0;
  const send = async (): Promise<{ status: number; outcome?: string }> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${stack.apiUrl}/webhooks/zuz`, { method: 'POST', headers, body: raw });
        return { status: res.status, outcome: ((await res.json()) as { outcome?: string }).outcome };
      } catch (error) {
        if (attempt === 3 || !(error instanceof TypeError)) throw error;
        transportRetries++;
      }
    }
  };

  expect(await send()).toEqual({ status: 200, outcome: 'delivered' });
  const handle = stack.client.workflow.getHandle(workflowIdFor(id));
  // Let the workflow task the signal caused complete, so the history is at rest before counting.
  await handle.query('transaction');
  // Decrypted (payload encryption is on), to read the signal's payload below.
  const before = (await decodeHistory(await handle.fetchHistory(), stack.codec)).events ?? [];

  const outcomes = new Map<string, number>();
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < REPLAYS) {
        const { status, outcome } = await send();
        const key = `${status} ${outcome}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const after = (await handle.fetchHistory()).events ?? [];
  const read = await api('GET', `/v1/transactions/${id}`);
  console.log(
    `${REPLAYS} replays in ${seconds.toFixed(1)} s (${Math.round(REPLAYS / seconds)}/s): history ${before.length} -> ${after.length} events; ` +
      `answers ${JSON.stringify(Object.fromEntries(outcomes))}; deliveries sent again after a connection reset: ${transportRetries}`,
  );

  expect(Object.fromEntries(outcomes)).toEqual({ '200 duplicate': REPLAYS });
  expect(after.length).toBe(before.length);
  expect(read.status).toBe(200);
  expect(read.body.status).toBe('authorized');
  // The one delivered copy carries the description capped, not the 60 kB of padding.
  // (The simulator's own webhooks about the authorization are signals too, under their own event ids.)
  const ours = before
    .map((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data)
    .filter((data): data is Uint8Array => data instanceof Uint8Array && Buffer.from(data).toString('utf8').includes(body.id));
  expect(ours).toHaveLength(1);
  expect(ours[0].length).toBeGreaterThan(MAX_DESCRIPTION_LENGTH);
  expect(ours[0].length).toBeLessThan(MAX_DESCRIPTION_LENGTH + 1000);

  expect((await api('POST', `/v1/transactions/${id}/cancel`)).status).toBe(200);
}, 600_000);

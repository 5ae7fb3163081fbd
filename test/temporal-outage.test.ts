/**
 * Honest errors under outage, for real: the Temporal server the stack runs on is stopped mid-test,
 * and every route that needs it answers 503 with `Retry-After` in the API's error shape (never a
 * 500, never a stack trace), while what needs only the database keeps answering. A genuine Zuz
 * webhook is 503 too, so Zuz keeps it and retries.
 */
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../src/zuz/signature';
import { DEV_DEFAULTS, type LocalStack } from '../sandbox/local-stack';
import { startTestStack } from './helpers/stack';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('outage');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

async function call(method: 'GET' | 'POST', route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(stack.apiUrl + route, {
    method,
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { route: `${method} ${route}`, status: response.status, retryAfter: response.headers.get('retry-after'), text };
}

test('with the Temporal server stopped, every route that needs it is 503 with Retry-After; the record still answers', async () => {
  const id = `outage-${randomUUID()}`;
  const request = {
    transactionId: id,
    customerId: 'cus_demo',
    paymentMethodId: 'pm_approved',
    amount: 700,
    currency: 'EUR',
    capture: 'manual',
  };
  expect((await call('POST', '/v1/transactions', request)).status).toBe(202);
  let view: { status: string; zuz: { paymentId?: string; authorizationId?: string } };
  do {
    await new Promise((r) => setTimeout(r, 100));
    view = JSON.parse((await call('GET', `/v1/transactions/${id}`)).text) as typeof view;
  } while (view.status !== 'authorized');

  await stack.temporal.stop();

  const eventType = 'payment.authorization.update';
  const event = {
    id: `evt_${randomUUID()}`,
    created: new Date().toISOString(),
    account_id: 'acc',
    app_id: DEV_DEFAULTS.ZUZ_APP_ID,
    payment_id: view.zuz.paymentId,
    data: {
      id: view.zuz.authorizationId,
      created: new Date().toISOString(),
      amount: 700,
      currency: 'EUR',
      reconciliation_id: id,
      result: { status: 'Succeed' },
    },
  };
  // Concurrently: each waits out the client's own retries before giving up.
  const answers = await Promise.all([
    call('POST', '/v1/transactions', { ...request, transactionId: `${id}-new` }),
    call('GET', '/v1/transactions?status=authorized'),
    call('GET', `/v1/transactions/${id}`),
    call('POST', `/v1/transactions/${id}/capture`, {}),
    call('POST', `/v1/transactions/${id}/cancel`),
    call('POST', '/webhooks/zuz', JSON.stringify(event), {
      'event-type': eventType,
      signature: signWebhook({ eventType, body: event }, DEV_DEFAULTS.ZUZ_PRIVATE_KEY),
    }),
    call('GET', '/readyz'),
  ]);
  for (const answer of answers) {
    expect({ route: answer.route, status: answer.status }).toEqual({ route: answer.route, status: 503 });
    if (answer.route !== 'GET /readyz') {
      expect(answer.retryAfter).toBe('5');
      expect(JSON.parse(answer.text)).toEqual({
        error: { code: 'unavailable', message: expect.any(String), requestId: expect.any(String) },
      });
    }
    expect(answer.text).not.toMatch(/at .*\.js:\d+|Error:/);
  }
  // The refused POST left no claim behind: once Temporal is back, the same request starts it.
  const { rows } = await stack.db.query('SELECT 1 FROM transactions WHERE transaction_id = $1', [`${id}-new`]);
  expect(rows).toHaveLength(0);
  // What the record alone can answer, it does: the finished transactions' list and the reconciliation report.
  expect((await call('GET', '/v1/transactions?status=succeeded')).status).toBe(200);
  expect((await call('GET', '/v1/reconciliation/runs')).status).toBe(200);
}, 300_000);

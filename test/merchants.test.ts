/**
 * Merchants, end to end on the real stack: each API key acts for its merchant only. Two
 * merchants may use the same transaction id without sharing anything (workflow, record row,
 * Zuz payment); another merchant's transaction answers exactly as an unknown one does; lists
 * and their cursors stay within the merchant; customers and their saved cards are each merchant's
 * own at PMS (the sandbox seeds the demo customer `cus_demo` for every merchant with keys, so each
 * merchant below charges its own `cus_demo`, never another's).
 */
import { randomUUID } from 'node:crypto';
import type { TransactionView } from '../src/transaction/model';
import { isTerminal, workflowIdFor } from '../src/transaction/model';
import { transactionKey } from '../src/merchants/model';
import { merchantIdKey } from '../src/transaction/search-attributes';
import type { LocalStack } from '../sandbox/local-stack';
import { MOCK_CARDS } from '../sandbox/simulators/cards';
import { callApi, QUICK_FLOW, startTestStack } from './helpers/stack';

const DEFAULT_KEY = 'dev-api-key-0123456789';
const ACME = 'acme-key-0123456789abcdef0123456789';
const GLOBEX = 'globex-key-0123456789abcdef0123456789';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('merchants', {
    env: { API_KEYS: `${DEFAULT_KEY},acme:${ACME},globex:${GLOBEX}` },
    flowOptions: QUICK_FLOW,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

type Answer = {
  status: number;
  body: TransactionView & { error?: { code: string; message: string }; transactions?: Listed[]; nextCursor?: string };
};
type Listed = { transactionId: string; status: string; amount: number };

function api(key: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<Answer> {
  return callApi<Answer['body']>(stack, method, route, body, { key });
}

/** The seeded demo customer's approved card: each merchant's own copy of it. */
function request(transactionId: string, amount: number, capture: 'auto' | 'manual' = 'auto') {
  return { transactionId, customerId: 'cus_demo', paymentMethodId: 'pm_approved', amount, currency: 'EUR', capture };
}

async function untilStatus(key: string, id: string, done: (status: string) => boolean): Promise<TransactionView> {
  for (;;) {
    const { status, body } = await api(key, 'GET', `/v1/transactions/${id}`);
    expect(status).toBe(200);
    if (done(body.status)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function finished(merchantId: string, key: string, id: string): Promise<TransactionView> {
  await untilStatus(key, id, (s) => isTerminal(s as TransactionView['status']));
  await stack.client.workflow.getHandle(workflowIdFor(transactionKey(merchantId, id))).result();
  return untilStatus(key, id, () => true);
}

test('two merchants using the same transaction id get two transactions: own workflow, own record, own payment at Zuz', async () => {
  const id = `shared-${randomUUID()}`;
  // Different bodies under one id: for one merchant that would be a 409 conflict.
  expect((await api(ACME, 'POST', '/v1/transactions', request(id, 1100))).status).toBe(202);
  expect((await api(GLOBEX, 'POST', '/v1/transactions', request(id, 2200))).status).toBe(202);

  const acme = await finished('acme', ACME, id);
  const globex = await finished('globex', GLOBEX, id);
  expect([acme.status, acme.capturedAmount, acme.merchantId]).toEqual(['succeeded', 1100, 'acme']);
  expect([globex.status, globex.capturedAmount, globex.merchantId]).toEqual(['succeeded', 2200, 'globex']);
  // Zuz's idempotency keys are per merchant: had they been per id, globex would have been handed acme's payment.
  expect(acme.zuz.paymentId).not.toBe(globex.zuz.paymentId);
  const captured = (paymentId?: string) =>
    stack.zuz.ledger
      .entries()
      .filter((e) => e.paymentId === paymentId && e.kind === 'capture')
      .map((e) => e.amount);
  expect(captured(acme.zuz.paymentId)).toEqual([1100]);
  expect(captured(globex.zuz.paymentId)).toEqual([2200]);

  const { rows } = await stack.db.query<{ merchant_id: string; amount: string }>(
    'SELECT merchant_id, amount FROM transactions WHERE transaction_id = ANY($1) ORDER BY merchant_id',
    [[transactionKey('acme', id), transactionKey('globex', id)]],
  );
  expect(rows.map((r) => [r.merchant_id, Number(r.amount)])).toEqual([
    ['acme', 1100],
    ['globex', 2200],
  ]);
  const described = await stack.client.workflow.getHandle(workflowIdFor(transactionKey('globex', id))).describe();
  expect(described.typedSearchAttributes.get(merchantIdKey)).toBe('globex');
  expect(described.memo?.merchantId).toBe('globex');
}, 60_000);

test("a saved card is its merchant's alone: another merchant posting the same customer and payment-method ids gets payment_method_not_found, and Zuz no authorization", async () => {
  const tag = randomUUID();
  const customerId = `cus_acme_${tag}`;
  const paymentMethodId = `pm_acme_${tag}`;
  // A card PMS holds for acme's customer only (it behaves as the seeded approved card at Zuz).
  const { cardNumber: _pan, ...approved } = MOCK_CARDS.find((card) => card.paymentMethodId === 'pm_approved')!;
  const added = await fetch(`${stack.pms.url}/_admin/payment-methods`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.env.PMS_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      merchant_id: 'acme',
      id: paymentMethodId,
      customer_id: customerId,
      brand: approved.brand,
      last4: approved.last4,
      expiry_month: approved.expiryMonth,
      expiry_year: approved.expiryYear,
      status: approved.status,
      provider_token: approved.providerToken,
    }),
  });
  expect(added.status).toBe(201);

  const charge = (id: string) => ({ ...request(id, 700), customerId, paymentMethodId });
  const theirs = `steal-${tag}`;
  expect((await api(GLOBEX, 'POST', '/v1/transactions', charge(theirs))).status).toBe(202);
  const globex = await finished('globex', GLOBEX, theirs);
  expect([globex.status, globex.failure?.code, globex.authorizedAmount, globex.capturedAmount]).toEqual([
    'failed',
    'payment_method_not_found',
    0,
    0,
  ]);
  // Zuz never saw acme's card token on globex's behalf: no authorization (nor capture) under globex's key.
  const atZuz = stack.zuz.ledger.entries({ reconciliationId: transactionKey('globex', theirs) });
  expect(atZuz.filter((e) => e.kind === 'authorization' || e.kind === 'capture')).toEqual([]);
  if (globex.zuz.paymentId) expect(stack.zuz.ledger.entries({ paymentId: globex.zuz.paymentId })).toEqual([]);

  // The card's own merchant charges it as usual.
  const mine = `own-${tag}`;
  expect((await api(ACME, 'POST', '/v1/transactions', charge(mine))).status).toBe(202);
  const acme = await finished('acme', ACME, mine);
  expect([acme.status, acme.capturedAmount]).toEqual(['succeeded', 700]);
}, 60_000);

test("another merchant's transaction is indistinguishable from an unknown one: read, capture and cancel all 404", async () => {
  const id = `acme-only-${randomUUID()}`;
  expect((await api(ACME, 'POST', '/v1/transactions', request(id, 500, 'manual'))).status).toBe(202);
  await untilStatus(ACME, id, (s) => s === 'authorized');

  const unknown = `never-made-${randomUUID()}`;
  for (const [method, suffix, body] of [
    ['GET', '', undefined],
    ['POST', '/capture', {}],
    ['POST', '/cancel', undefined],
  ] as const) {
    const theirs = await api(GLOBEX, method, `/v1/transactions/${id}${suffix}`, body);
    const nobodys = await api(GLOBEX, method, `/v1/transactions/${unknown}${suffix}`, body);
    expect(theirs.status).toBe(404);
    expect(withoutRequestId(theirs.body)).toEqual({ error: { code: 'not_found', message: `No transaction ${id}` } });
    expect(withoutRequestId(nobodys.body)).toEqual({ error: { code: 'not_found', message: `No transaction ${unknown}` } });
  }
  // Nothing globex did touched it: acme's transaction still waits for acme's capture.
  expect((await api(ACME, 'GET', `/v1/transactions/${id}`)).body.status).toBe('authorized');
  expect((await api(ACME, 'POST', `/v1/transactions/${id}/cancel`)).status).toBe(200);
}, 60_000);

test("another merchant cannot refund a merchant's transaction: 404 as for one never made, nothing reserved (issue 38, finding 7)", async () => {
  const id = `acme-refund-${randomUUID()}`;
  expect((await api(ACME, 'POST', '/v1/transactions', request(id, 900))).status).toBe(202);
  const acme = await finished('acme', ACME, id);
  expect(acme.status).toBe('succeeded');

  const ask = { refundId: 'r1', amount: 300, reason: 'returned' };
  const theirs = await api(GLOBEX, 'POST', `/v1/transactions/${id}/refunds`, ask);
  expect([theirs.status, withoutRequestId(theirs.body)]).toEqual([404, { error: { code: 'not_found', message: `No transaction ${id}` } }]);
  const { rows } = await stack.db.query('SELECT refund_id FROM refunds WHERE transaction_id = ANY($1)', [
    [transactionKey('acme', id), transactionKey('globex', id)],
  ]);
  expect(rows).toEqual([]);
  // Acme's own key refunds it, under the same refund id (nothing of globex's request was kept).
  expect((await api(ACME, 'POST', `/v1/transactions/${id}/refunds`, ask)).status).toBe(202);
}, 60_000);

test('a list shows only the merchant its key belongs to, from the record and from visibility alike', async () => {
  const mine = `list-acme-${randomUUID()}`;
  const theirs = `list-globex-${randomUUID()}`;
  expect((await api(ACME, 'POST', '/v1/transactions', request(mine, 300, 'manual'))).status).toBe(202);
  expect((await api(GLOBEX, 'POST', '/v1/transactions', request(theirs, 400, 'manual'))).status).toBe(202);
  await untilStatus(ACME, mine, (s) => s === 'authorized');
  await untilStatus(GLOBEX, theirs, (s) => s === 'authorized');

  const ids = async (key: string, query: string) => {
    const { status, body } = await api(key, 'GET', `/v1/transactions?limit=100${query}`);
    expect(status).toBe(200);
    return (body.transactions ?? []).map((t) => t.transactionId);
  };
  // From the record.
  expect(await ids(ACME, '')).toContain(mine);
  expect(await ids(ACME, '')).not.toContain(theirs);
  expect(await ids(GLOBEX, '')).toContain(theirs);
  expect(await ids(GLOBEX, '')).not.toContain(mine);
  // From visibility (a running status), which is eventually consistent: wait until acme's own shows.
  for (let i = 0; i < 100 && !(await ids(ACME, '&status=authorized')).includes(mine); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await ids(ACME, '&status=authorized')).toContain(mine);
  expect(await ids(ACME, '&status=authorized')).not.toContain(theirs);
  // The default merchant (the bare key) sees neither, though it does see its own (the list works for it).
  const defaults = `list-default-${randomUUID()}`;
  expect((await api(DEFAULT_KEY, 'POST', '/v1/transactions', request(defaults, 500, 'manual'))).status).toBe(202);
  await untilStatus(DEFAULT_KEY, defaults, (s) => s === 'authorized');
  for (let i = 0; i < 100 && !(await ids(DEFAULT_KEY, '&status=authorized')).includes(defaults); i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(await ids(DEFAULT_KEY, '&status=authorized')).toContain(defaults);
  expect(await ids(DEFAULT_KEY, '&status=authorized')).not.toContain(mine);
  expect(await ids(DEFAULT_KEY, '&status=authorized')).not.toContain(theirs);
  expect((await api(DEFAULT_KEY, 'POST', `/v1/transactions/${defaults}/cancel`)).status).toBe(200);

  for (const [key, id] of [
    [ACME, mine],
    [GLOBEX, theirs],
  ] as const)
    expect((await api(key, 'POST', `/v1/transactions/${id}/cancel`)).status).toBe(200);
}, 60_000);

describe('list cursors are signed with a server secret', () => {
  async function firstCursor(key: string): Promise<string> {
    for (let i = 0; i < 2; i++) {
      await api(key, 'POST', '/v1/transactions', request(`cursor-${randomUUID()}`, 100 + i));
    }
    const { body } = await api(key, 'GET', '/v1/transactions?limit=1');
    expect(body.nextCursor).toEqual(expect.any(String));
    return body.nextCursor!;
  }

  test('a cursor leads to the next page for the merchant and filter it was written for, and nowhere else', async () => {
    const cursor = await firstCursor(ACME);
    expect((await api(ACME, 'GET', `/v1/transactions?limit=1&cursor=${cursor}`)).status).toBe(200);
    // Another merchant's key, or another filter, with the same cursor: refused before any query.
    for (const [key, query] of [
      [GLOBEX, ''],
      [ACME, '&customerId=someone-else'],
    ] as const) {
      const res = await api(key, 'GET', `/v1/transactions?limit=1${query}&cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('invalid_request');
    }
  });

  test('a minted or altered cursor is 400: without the secret no position can be forged', async () => {
    const cursor = await firstCursor(ACME);
    const [body, mac] = cursor.split('.');
    const position = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { position: { transactionKey: string } };
    position.position.transactionKey = 'zzzz';
    const altered = Buffer.from(JSON.stringify(position)).toString('base64url');
    // The old scheme's checksum was an unkeyed hash anyone could compute; now it must be the server's HMAC.
    const { createHash } = await import('node:crypto');
    const unkeyed = createHash('sha256').update(Buffer.from(altered, 'base64url')).digest('base64url');
    for (const forged of [`${altered}.${mac}`, `${altered}.${unkeyed}`, `${altered}.${unkeyed.slice(0, 16)}`]) {
      const res = await api(ACME, 'GET', `/v1/transactions?limit=1&cursor=${forged}`);
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toMatch(/cursor/);
    }
  });
});

/** Every answer has its own Request-Id (in error bodies too): what two answers share is the rest. */
function withoutRequestId(body: Answer['body']): unknown {
  const { requestId: _requestId, ...error } = (body.error ?? {}) as { requestId?: string };
  return { ...body, error };
}

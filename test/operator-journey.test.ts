/**
 * Issue 34's "Done when", end to end on real processes and over HTTP only: the Temporal dev
 * server, the Zuz and PMS simulators, a worker and TWO API processes on one PostgreSQL
 * (test/helpers/journey-stack.ts; process.env.DATABASE_URL, or the one test/global-setup.ts
 * starts). Nothing of src/ is imported: the service is `dist/` (npm run build) and its answers.
 *
 * One stack for the whole file, and one journey through it, in order:
 * 1. the bootstrap operator key (OPERATOR_API_KEYS) creates a merchant and issues it a till key and
 *    a back-office key, each shown once;
 * 2. the till creates a transaction and captures it (a real workflow at the Zuz simulator), and is
 *    refused a refund (403); the back office refunds part of it, and Zuz performs that refund;
 * 3. revoking the till key makes its very next request 401 on both API processes at once;
 * 4. the audit trail shows each of those actions with key prefix, role and the request id sent;
 * 5. the day's settlement report, JSON and CSV, matches the Zuz simulator's own ledger;
 * 6. a release Zuz refused (staged: the worker's Zuz calls pass a front that refuses one payment's
 *    voids for a while) is re-driven by an operator, and Zuz voids the payment exactly once.
 * The tests share the journey's state: each needs the ones before it.
 *
 * Each check fails on a service that breaks it; these were tried on a patched copy of dist/
 * (POS_JOURNEY_DIST, test/helpers/journey-stack.ts): a per-process cache of key lookups (3: the
 * other process still takes the revoked key), no role check on the refund route (2: the till's
 * refund is 202), audit entries without the request id (4), refunds left out of the settlement
 * report (5), and a reconciliation blind to a void that went through (6: it asks Zuz again).
 */
import { randomBytes } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { startJourneyStack, type JourneyStack } from './helpers/journey-stack';

const OPERATOR_KEY = `journey-operator-${randomBytes(16).toString('hex')}`;
/** The bootstrap merchant of API_KEYS (a back-office key), as npm start has one: used for the staged release only. */
const BOOT_MERCHANT = 'journey-boot';
const BOOT_KEY = `journey-boot-key-${randomBytes(16).toString('hex')}`;
const MERCHANT = `shop-${randomBytes(3).toString('hex')}`;
/** Not UTC, so the report's day must be the merchant's. */
const TIME_ZONE = 'Europe/Amsterdam';
/** The pm_approved mock card's token, which the Zuz simulator knows (sandbox/simulators/cards.ts). */
const APPROVED_CARD_TOKEN = 'tok_89eb9c76468308353a819030';
/** Generous: the machine these run on is shared (2 cores, load averages of 30 and more have been seen). */
const STEP_TIMEOUT_MS = 240_000;
const Status = proto.api.enums.v1.WorkflowExecutionStatus;

let stack: JourneyStack;
const journeyStartedAt = new Date();

// The journey's state, filled as it goes.
let tillKey: IssuedKey;
let backOfficeKey: IssuedKey;
/** Each request the audit trail must show: the X-Request-Id sent, and what it was. */
const audited: Array<{ requestId: string; action: string; keyPrefix?: string; role: string; outcome: number; subject?: string }> = [];

interface IssuedKey {
  keyId: string;
  prefix: string;
  role: string;
  merchantId: string;
  key: string;
}

interface TransactionView {
  transactionId: string;
  status: string;
  amount: number;
  currency: string;
  capturedAmount: number;
  zuz: { paymentId?: string };
  release?: string;
  refundedAmount?: number;
  refunds?: Array<{ refundId: string; amount: number; status: string }>;
}

interface LedgerEntry {
  paymentId: string;
  reconciliationId?: string;
  kind: 'authorization' | 'capture' | 'void' | 'refund';
  amount: number;
  currency: string;
  status: string;
  at: string;
}

interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

beforeAll(async () => {
  // Two API processes and a worker share one database: PGlite cannot be shared, a PostgreSQL can.
  if (!process.env.DATABASE_URL) throw new Error('test/operator-journey.test.ts needs DATABASE_URL (test/global-setup.ts starts one)');
  stack = await startJourneyStack({
    databaseUrl: process.env.DATABASE_URL,
    apiKeys: `${BOOT_MERCHANT}:${BOOT_KEY}`,
    operatorKeys: OPERATOR_KEY,
    serviceEnv: {
      FLOW_WEBHOOK_GRACE_PERIOD: '2s',
      FLOW_POLL_INITIAL_INTERVAL: '500ms',
      FLOW_POLL_MAX_INTERVAL: '2s',
      // How long a void refused for no reason the payment shows is read again before the release
      // is given up as release_failed (the transaction workflow's readPaymentAfterRefusedVoid);
      // the journey's captures are answered at once, so no other wait is near it.
      FLOW_CAPTURE_DEADLINE: '3s',
    },
  });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
});

/** One call to API process `api` (0 or 1); JSON in, JSON (or text) out. */
async function call<T = Record<string, unknown>>(
  api: 0 | 1,
  method: 'GET' | 'POST' | 'DELETE',
  route: string,
  options: { key: string; body?: unknown; requestId?: string; accept?: string; prefer?: string },
): Promise<Answer<T>> {
  const response = await fetch(stack.apiUrls[api] + route, {
    method,
    headers: {
      authorization: `Bearer ${options.key}`,
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.requestId && { 'x-request-id': options.requestId }),
      ...(options.accept && { accept: options.accept }),
      ...(options.prefer && { prefer: options.prefer }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(90_000),
  });
  const text = await response.text();
  let body: T;
  try {
    body = (text ? JSON.parse(text) : {}) as T;
  } catch {
    body = {} as T;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** A request whose audit entry the journey checks: its X-Request-Id is sent, and must come back as Request-Id. */
async function audit<T = Record<string, unknown>>(
  expected: { action: string; keyPrefix?: string; role: string; subject?: string },
  api: 0 | 1,
  method: 'POST' | 'DELETE',
  route: string,
  options: { key: string; body?: unknown; prefer?: string },
): Promise<Answer<T>> {
  const requestId = `journey-${expected.action}-${randomBytes(6).toString('hex')}`;
  const answer = await call<T>(api, method, route, { ...options, requestId });
  // The documented echo: a plain token sent as X-Request-Id comes back as Request-Id.
  expect(answer.headers.get('request-id')).toBe(requestId);
  audited.push({ requestId, ...expected, outcome: answer.status });
  return answer;
}

/** Polls `read` until `done` holds of what it returns; fails naming the last value and the processes' last words. */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > giveUpAt) {
      throw new Error(`${what}: not within ${timeoutMs / 1000} s; last: ${JSON.stringify(value)}\n${stack.tails()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const view = async (api: 0 | 1, key: string, transactionId: string) =>
  (await call<TransactionView>(api, 'GET', `/v1/transactions/${transactionId}`, { key })).body;

async function ledger(filter: { paymentId?: string } = {}): Promise<LedgerEntry[]> {
  const query = filter.paymentId ? `?payment_id=${encodeURIComponent(filter.paymentId)}` : '';
  const response = await fetch(`${stack.zuzUrl}/_admin/ledger${query}`, { headers: stack.zuzAdmin });
  expect(response.status).toBe(200);
  return (await response.json()) as LedgerEntry[];
}

const sale = (transactionId: string, amount: number, currency: string, capture: 'auto' | 'manual') => ({
  transactionId,
  customerId: 'cus_demo',
  paymentMethodId: 'pm_approved',
  amount,
  currency,
  capture,
});

test(
  '1. the bootstrap operator key creates a merchant and issues it a till key and a back-office key, each shown once',
  async () => {
    // Only an operator manages merchants: the bootstrap merchant's back-office key is refused, naming the role.
    const refused = await call(0, 'POST', '/v1/merchants', { key: BOOT_KEY, body: { merchantId: MERCHANT, name: 'x' } });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('operator');

    const created = await audit({ action: 'merchant.create', role: 'operator', subject: MERCHANT }, 0, 'POST', '/v1/merchants', {
      key: OPERATOR_KEY,
      body: { merchantId: MERCHANT, name: 'Journey Shop', timeZone: TIME_ZONE },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ merchantId: MERCHANT, timeZone: TIME_ZONE });

    // One key issued through each API process: they share the database, so each finds the other's.
    const issue = async (api: 0 | 1, role: 'till' | 'back-office') => {
      const issued = await audit<IssuedKey>({ action: 'key.issue', role: 'operator' }, api, 'POST', `/v1/merchants/${MERCHANT}/keys`, {
        key: OPERATOR_KEY,
        body: { role },
      });
      expect(issued.status).toBe(201);
      expect(issued.body).toMatchObject({ role, merchantId: MERCHANT, prefix: expect.stringMatching(/^pos_test_[0-9a-f]{8}$/) });
      // The prefix names the key without being it.
      expect(issued.body.key.startsWith(`${issued.body.prefix}_`)).toBe(true);
      expect(issued.body.key.length).toBeGreaterThan(issued.body.prefix.length + 20);
      audited[audited.length - 1].subject = issued.body.keyId;
      return issued.body;
    };
    tillKey = await issue(1, 'till');
    backOfficeKey = await issue(0, 'back-office');

    // Shown once: the list names both keys by prefix and role, and carries neither key (nor its hash).
    const listed = await call<{ keys: Array<Record<string, unknown>> }>(1, 'GET', `/v1/merchants/${MERCHANT}/keys`, { key: OPERATOR_KEY });
    expect(listed.status).toBe(200);
    expect(listed.body.keys.map((k) => `${String(k.prefix)} ${String(k.role)}`).sort()).toEqual(
      [`${tillKey.prefix} till`, `${backOfficeKey.prefix} back-office`].sort(),
    );
    for (const secret of [tillKey.key, backOfficeKey.key]) {
      expect(listed.text).not.toContain(secret);
      expect(listed.text).not.toContain(secret.slice(tillKey.prefix.length + 1));
    }

    // The PMS simulator seeds its mock cards only for the merchants of API_KEYS (as npm start
    // runs it); a merchant created at run time is given the approved card through its admin route.
    const card = await fetch(`${stack.pmsUrl}/_admin/payment-methods`, {
      method: 'POST',
      headers: stack.pmsAdmin,
      body: JSON.stringify({
        merchant_id: MERCHANT,
        id: 'pm_approved',
        customer_id: 'cus_demo',
        type: 'card',
        brand: 'visa',
        last4: '1111',
        expiry_month: 12,
        expiry_year: 2030,
        status: 'active',
        provider_token: APPROVED_CARD_TOKEN,
      }),
    });
    expect(card.status).toBe(201);
  },
  STEP_TIMEOUT_MS,
);

test(
  '2. the till creates and captures a transaction at Zuz and is refused a refund (403); the back office refunds part of it',
  async () => {
    const till = { key: tillKey.key, keyPrefix: tillKey.prefix, role: 'till' };
    // Created through one API process (manual capture, waiting for the authorization's decision)...
    const created = await audit<TransactionView>(
      { action: 'transaction.create', keyPrefix: till.keyPrefix, role: 'till', subject: 'tx-manual' },
      0,
      'POST',
      '/v1/transactions',
      { key: till.key, body: sale('tx-manual', 1250, 'EUR', 'manual'), prefer: 'wait=25' },
    );
    // 201 with the decision, or 202 if the wait ran out first (a loaded machine): either way it is authorized.
    expect([201, 202]).toContain(created.status);
    await until(
      'tx-manual is authorized',
      () => view(1, till.key, 'tx-manual'),
      (v) => v.status === 'authorized',
    );
    // ...captured through the other.
    const captured = await audit(
      { action: 'transaction.capture', keyPrefix: till.keyPrefix, role: 'till', subject: 'tx-manual' },
      1,
      'POST',
      '/v1/transactions/tx-manual/capture',
      { key: till.key, body: {} },
    );
    expect(captured.status).toBe(200);
    const manual = await until(
      'tx-manual succeeds',
      () => view(0, till.key, 'tx-manual'),
      (v) => v.status === 'succeeded',
    );
    expect(manual.capturedAmount).toBe(1250);
    // Zuz performed it: one approved authorization and one capture of the whole amount on the payment.
    const atZuz = await ledger({ paymentId: manual.zuz.paymentId });
    expect(atZuz.map((e) => `${e.kind} ${e.amount} ${e.currency} ${e.status}`)).toEqual([
      'authorization 1250 EUR Succeed',
      'capture 1250 EUR Succeed',
    ]);

    // A second sale, in another currency, captured at once.
    const auto = await audit<TransactionView>(
      { action: 'transaction.create', keyPrefix: till.keyPrefix, role: 'till', subject: 'tx-auto' },
      1,
      'POST',
      '/v1/transactions',
      { key: till.key, body: sale('tx-auto', 990, 'USD', 'auto'), prefer: 'wait=25' },
    );
    expect([201, 202]).toContain(auto.status);
    await until(
      'tx-auto succeeds',
      () => view(1, till.key, 'tx-auto'),
      (v) => v.status === 'succeeded',
    );

    // The till may not refund: 403 naming the role needed, on either process; a path spelled otherwise is refused too (403, or 404 where it is no route).
    const refund = { refundId: 'rf-1', amount: 500, reason: 'one item returned' };
    const refused = await audit(
      { action: 'refund.create', keyPrefix: till.keyPrefix, role: 'till', subject: 'tx-manual/refunds/rf-1' },
      0,
      'POST',
      '/v1/transactions/tx-manual/refunds',
      { key: till.key, body: refund },
    );
    expect(refused.status).toBe(403);
    expect((refused.body.error as { message: string }).message).toContain('back-office');
    for (const route of [
      '/v1/transactions/tx-manual/refunds/',
      '/v1/transactions/tx-manual/REFUNDS',
      '/v1/Transactions/tx-manual/refunds',
    ]) {
      const status = (await call(1, 'POST', route, { key: till.key, body: refund })).status;
      expect([route, [403, 404].includes(status)]).toEqual([route, true]);
    }
    // Nor list the merchant's transactions (the back office's).
    expect((await call(1, 'GET', '/v1/transactions', { key: till.key })).status).toBe(403);
    // Nothing was refunded, in the record or at Zuz.
    expect((await view(0, till.key, 'tx-manual')).refundedAmount ?? 0).toBe(0);
    expect((await ledger({ paymentId: manual.zuz.paymentId })).filter((e) => e.kind === 'refund')).toEqual([]);

    // The back office refunds part of it, through the other process.
    const accepted = await audit(
      { action: 'refund.create', keyPrefix: backOfficeKey.prefix, role: 'back-office', subject: 'tx-manual/refunds/rf-1' },
      1,
      'POST',
      '/v1/transactions/tx-manual/refunds',
      { key: backOfficeKey.key, body: refund },
    );
    expect(accepted.status).toBe(202);
    const refunded = await until(
      'the refund succeeds',
      () => view(0, backOfficeKey.key, 'tx-manual'),
      (v) => v.refunds?.[0]?.status === 'succeeded',
    );
    expect(refunded.refundedAmount).toBe(500);
    expect(refunded.status).toBe('succeeded'); // a terminal status is final: a partial refund does not change it
    const refundsAtZuz = (await ledger({ paymentId: manual.zuz.paymentId })).filter((e) => e.kind === 'refund');
    expect(refundsAtZuz.map((e) => `${e.amount} ${e.currency} ${e.status}`)).toEqual(['500 EUR Succeed']);
  },
  STEP_TIMEOUT_MS,
);

test(
  '3. revoking the till key makes its next request 401 on both API processes at once; the back office keeps working',
  async () => {
    // Both processes take the key before (and have each looked it up by now).
    for (const api of [0, 1] as const)
      expect((await call(api, 'GET', '/v1/transactions/tx-manual', { key: tillKey.key })).status).toBe(200);

    const revoked = await audit(
      { action: 'key.revoke', role: 'operator', subject: tillKey.keyId },
      0,
      'DELETE',
      `/v1/merchants/${MERCHANT}/keys/${tillKey.keyId}`,
      { key: OPERATOR_KEY },
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ keyId: tillKey.keyId, revokedAt: expect.any(String) });

    // At once, no waiting: the very next request on each process, sent together. A key cached in
    // an API process (for any time at all) would still be taken by the process that did not revoke it.
    const [a, b, sell] = await Promise.all([
      call(0, 'GET', '/v1/transactions/tx-manual', { key: tillKey.key }),
      call(1, 'GET', '/v1/transactions/tx-manual', { key: tillKey.key }),
      call(1, 'POST', '/v1/transactions', { key: tillKey.key, body: sale('tx-after-revoke', 1250, 'EUR', 'auto') }),
    ]);
    expect([a.status, b.status, sell.status]).toEqual([401, 401, 401]);
    expect((await view(0, backOfficeKey.key, 'tx-after-revoke')) as unknown).toMatchObject({ error: { code: 'not_found' } });

    // Only that key: the merchant's back-office key still works on both.
    for (const api of [0, 1] as const) {
      expect((await call(api, 'GET', '/v1/transactions/tx-manual', { key: backOfficeKey.key })).status).toBe(200);
    }
    // The list says so, with when each key was last used.
    const keys = (await call<{ keys: Array<Record<string, unknown>> }>(1, 'GET', `/v1/merchants/${MERCHANT}/keys`, { key: OPERATOR_KEY }))
      .body.keys;
    const till = keys.find((k) => k.keyId === tillKey.keyId);
    expect(till).toMatchObject({ revokedAt: revoked.body.revokedAt, lastUsedAt: expect.any(String) });
    expect(keys.find((k) => k.keyId === backOfficeKey.keyId)?.revokedAt).toBeUndefined();
  },
  STEP_TIMEOUT_MS,
);

interface AuditEvent {
  keyPrefix: string;
  role: string;
  merchantId?: string;
  action: string;
  subject?: string;
  requestId: string;
  outcome: number;
}

test(
  '4. the audit trail shows each of those actions with key prefix, role and the request id sent',
  async () => {
    const read = async (api: 0 | 1, key: string, query: string) =>
      (await call<{ events: AuditEvent[] }>(api, 'GET', `/v1/audit-events?${query}`, { key })).body.events ?? [];
    // Entries are written once the answer is sent: read until all are there.
    const wanted = new Set(audited.map((a) => a.requestId));
    const events = await until(
      'every audited request is in the trail',
      () => read(0, OPERATOR_KEY, `merchant=${MERCHANT}&limit=100`),
      (list) => [...wanted].every((id) => list.some((e) => e.requestId === id)),
    );
    const operatorPrefix = events.find((e) => e.action === 'merchant.create')?.keyPrefix;
    expect(operatorPrefix).toBeTruthy();
    expect(operatorPrefix).not.toContain(OPERATOR_KEY.slice(0, 16));
    for (const expected of audited) {
      const found = events.filter((e) => e.requestId === expected.requestId);
      expect(found).toHaveLength(1); // once each
      expect(found[0]).toMatchObject({
        action: expected.action,
        role: expected.role,
        keyPrefix: expected.keyPrefix ?? operatorPrefix,
        merchantId: MERCHANT,
        outcome: expected.outcome,
        ...(expected.subject && { subject: expected.subject }),
      });
    }
    // The refused refund is there with its 403, beside the back office's accepted one.
    expect(audited.filter((a) => a.action === 'refund.create').map((a) => `${a.role} ${a.outcome}`)).toEqual([
      'till 403',
      'back-office 202',
    ]);
    // No key itself is anywhere in the trail.
    const text = JSON.stringify(events);
    for (const secret of [tillKey.key, backOfficeKey.key, OPERATOR_KEY, BOOT_KEY]) expect(text).not.toContain(secret);

    // The merchant's back office reads the same entries of its own merchant, through the other process.
    const own = await read(1, backOfficeKey.key, 'limit=100');
    expect(new Set(own.map((e) => e.requestId))).toEqual(new Set(events.map((e) => e.requestId)));
    expect(own.every((e) => e.merchantId === MERCHANT)).toBe(true);
  },
  STEP_TIMEOUT_MS,
);

interface SettlementReport {
  merchantId: string;
  date: string;
  timeZone: string;
  totals: Array<{
    currency: string;
    captured: number;
    captures: number;
    refunded: number;
    refunds: number;
    refundedByReconciliation: number;
    reconciliationRefunds: number;
    net: number;
  }>;
  lines: Array<{ kind: string; transactionId: string; refundId?: string; currency: string; amount: number; at: string; eventId: string }>;
}

/** The merchant's calendar day of an instant. */
const dayOf = (instant: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(instant);

test(
  "5. the day's settlement report, JSON and CSV, matches the Zuz simulator's own ledger for the merchant",
  async () => {
    // Zuz's ledger: every operation it performed. Its reconciliation ids name the merchant's transaction
    // (`<merchant>/<id>`, and `<merchant>/<id>/refunds/<refundId>` for a refund), so the merchant's part is read from Zuz's own data.
    const mine = (await ledger()).filter((e) => e.reconciliationId?.startsWith(`${MERCHANT}/`) && e.status === 'Succeed');
    const captures = mine.filter((e) => e.kind === 'capture');
    const refunds = mine.filter((e) => e.kind === 'refund');
    expect(captures).toHaveLength(2);
    expect(refunds).toHaveLength(1);

    // The journey's days in the merchant's time zone (one, or two across its midnight): the reports of all of them.
    const days = [...new Set([dayOf(journeyStartedAt), dayOf(new Date())])];
    const reports: SettlementReport[] = [];
    const csvs: string[] = [];
    for (const date of days) {
      const json = await call<SettlementReport>(0, 'GET', `/v1/reports/settlement?date=${date}`, { key: backOfficeKey.key });
      expect(json.status).toBe(200);
      expect(json.body).toMatchObject({ merchantId: MERCHANT, date, timeZone: TIME_ZONE });
      reports.push(json.body);
      const csv = await call(1, 'GET', `/v1/reports/settlement?date=${date}`, { key: backOfficeKey.key, accept: 'text/csv' });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      csvs.push(csv.text);
      // An operator names the merchant and reads the same report.
      const operators = await call<SettlementReport>(1, 'GET', `/v1/reports/settlement?date=${date}&merchant=${MERCHANT}`, {
        key: OPERATOR_KEY,
      });
      expect(operators.body.totals).toEqual(json.body.totals);
    }

    // Line by line: each capture and refund at Zuz is one line naming its transaction (and refund).
    const txOf = (reconciliationId: string) => reconciliationId.slice(MERCHANT.length + 1).split('/refunds/');
    const lines = reports.flatMap((r) => r.lines);
    expect(lines.map((l) => `${l.kind} ${l.transactionId} ${l.refundId ?? '-'} ${l.amount} ${l.currency}`).sort()).toEqual(
      [
        ...captures.map((e) => `capture ${txOf(e.reconciliationId!)[0]} - ${e.amount} ${e.currency}`),
        ...refunds.map((e) => `refund ${txOf(e.reconciliationId!)[0]} ${txOf(e.reconciliationId!)[1]} ${e.amount} ${e.currency}`),
      ].sort(),
    );

    // Totals by currency: what Zuz captured and refunded, counted and netted.
    const fromLedger = new Map<string, { captured: number; captures: number; refunded: number; refunds: number }>();
    for (const e of [...captures, ...refunds]) {
      const t = fromLedger.get(e.currency) ?? { captured: 0, captures: 0, refunded: 0, refunds: 0 };
      if (e.kind === 'capture') {
        t.captured += e.amount;
        t.captures++;
      } else {
        t.refunded += e.amount;
        t.refunds++;
      }
      fromLedger.set(e.currency, t);
    }
    const fromReports = new Map<string, { captured: number; captures: number; refunded: number; refunds: number; net: number }>();
    for (const t of reports.flatMap((r) => r.totals)) {
      const sum = fromReports.get(t.currency) ?? { captured: 0, captures: 0, refunded: 0, refunds: 0, net: 0 };
      sum.captured += t.captured;
      sum.captures += t.captures;
      sum.refunded += t.refunded + t.refundedByReconciliation;
      sum.refunds += t.refunds + t.reconciliationRefunds;
      sum.net += t.net;
      fromReports.set(t.currency, sum);
    }
    expect(Object.fromEntries(fromReports)).toEqual(
      Object.fromEntries([...fromLedger].map(([currency, t]) => [currency, { ...t, net: t.captured - t.refunded }])),
    );
    // What this journey did, in figures: 1250 EUR captured and 500 of it refunded; 990 USD captured.
    expect(Object.fromEntries([...fromReports].map(([currency, t]) => [currency, t.net]))).toEqual({ EUR: 750, USD: 990 });

    // The CSV says the same: a header, one row per line (with its event id), one net row per currency.
    const rows = csvs.flatMap((text, i) => {
      const [header, ...rest] = text.trim().split('\r\n');
      expect(header).toBe('kind,transaction_id,refund_id,currency,amount,at,event_id');
      return rest.map((row) => ({ date: days[i], fields: row.split(',') }));
    });
    expect(
      rows
        .filter((r) => r.fields[0] !== 'net')
        .map((r) => r.fields.filter((_, i) => i !== 5).join(' '))
        .sort(),
    ).toEqual(lines.map((l) => [l.kind, l.transactionId, l.refundId ?? '', l.currency, l.amount, l.eventId].join(' ')).sort());
    expect(
      rows
        .filter((r) => r.fields[0] === 'net')
        .map((r) => r.fields.join(','))
        .sort(),
    ).toEqual(reports.flatMap((r) => r.totals.map((t) => `net,,,${t.currency},${t.net},${r.date},`)).sort());
  },
  STEP_TIMEOUT_MS,
);

interface RunReport {
  runId: string;
  finishedAt?: string;
  discrepancies: Array<{ transactionId: string; kind: string; outcome: string }>;
}

interface OpenFinding {
  merchantId: string;
  transactionId: string;
  kind: string;
  outcome: string;
}

test(
  '6. an operator re-drives a release Zuz refused: the hold is released at Zuz exactly once',
  async () => {
    // Staged: a manual-capture sale of the bootstrap merchant, authorized at Zuz...
    const created = await call<TransactionView>(0, 'POST', '/v1/transactions', {
      key: BOOT_KEY,
      body: sale('tx-held', 1250, 'EUR', 'manual'),
      prefer: 'wait=25',
    });
    expect([201, 202]).toContain(created.status);
    const authorized = await until(
      'tx-held is authorized',
      () => view(1, BOOT_KEY, 'tx-held'),
      (v) => v.status === 'authorized',
    );
    const paymentId = authorized.zuz.paymentId!;
    expect(paymentId).toBeTruthy();
    // ...whose voids Zuz refuses for a while (the front, see test/helpers/journey-zuz-front.ts), then cancelled:
    // the flow's void is refused, the payment shows no reason, and the release ends release_failed.
    stack.front.refuseVoids(paymentId);
    expect((await call(1, 'POST', '/v1/transactions/tx-held/cancel', { key: BOOT_KEY, body: {} })).status).toBe(200);
    const failed = await until(
      'tx-held ends with its release failed',
      () => view(1, BOOT_KEY, 'tx-held'),
      (v) => v.status === 'cancelled' && v.release !== undefined,
    );
    expect(failed.release).toBe('release_failed');
    expect(stack.front.refusedVoids(paymentId)).toBeGreaterThanOrEqual(1);
    const voidsAtZuz = async () => (await ledger({ paymentId })).filter((e) => e.kind === 'void');
    expect(await voidsAtZuz()).toEqual([]); // the money is still held

    const temporal = await Connection.connect({ address: stack.temporalAddress });
    try {
      const ran = new Set<string>();
      const redrive = async () => {
        const answer = await audit<{ workflowId: string }>(
          { action: 'finding.redrive', role: 'operator', subject: `${BOOT_MERCHANT}/tx-held` },
          (ran.size % 2) as 0 | 1, // through each API process in turn
          'POST',
          '/v1/operator/findings/redrive',
          { key: OPERATOR_KEY, body: { merchantId: BOOT_MERCHANT, transactionId: 'tx-held' } },
        );
        expect(answer.status).toBe(202);
        return answer.body.workflowId;
      };
      /**
       * A re-drive while the previous one of the same transaction still runs starts nothing (and
       * still answers 202), so the journey waits for each to close, reading Temporal itself: the
       * run it started (a new run id), closed, and its report finished.
       */
      const redriveAndWait = async () => {
        const workflowId = await redrive();
        const execution = await until(
          `the re-drive ${workflowId} runs and closes`,
          async () =>
            (await temporal.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } }))
              .workflowExecutionInfo,
          (info) => !!info?.execution?.runId && !ran.has(info.execution.runId) && info.status !== Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
          STEP_TIMEOUT_MS / 2,
        );
        ran.add(execution!.execution!.runId!);
        expect(execution!.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_COMPLETED);
        const runs = (await call<{ runs: RunReport[] }>(0, 'GET', '/v1/reconciliation/runs?limit=20', { key: OPERATOR_KEY })).body.runs;
        expect(runs.find((r) => r.runId === workflowId)?.finishedAt).toBeTruthy();
      };
      const openFindings = async () =>
        (await call<{ findings: OpenFinding[] }>(1, 'GET', '/v1/operator/findings?limit=200', { key: OPERATOR_KEY })).body.findings.filter(
          (f) => f.merchantId === BOOT_MERCHANT && f.transactionId === 'tx-held',
        );

      // A re-drive while Zuz still refuses: the repair is refused and reported, an open finding; nothing voided.
      await redriveAndWait();
      expect(await voidsAtZuz()).toEqual([]);
      expect((await openFindings()).map((f) => `${f.kind} ${f.outcome.split(':')[0]}`)).toEqual(['authorization_held repair_refused']);

      // Zuz takes voids again: the next re-drive releases the hold, once, and the finding is settled.
      stack.front.acceptVoids(paymentId);
      await redriveAndWait();
      const released = await voidsAtZuz();
      expect(released.map((e) => `${e.amount} ${e.currency} ${e.status}`)).toEqual(['1250 EUR Succeed']);
      expect(await openFindings()).toEqual([]);

      // Re-driven again: nothing more happens at Zuz. The simulator would not record a second void of
      // a voided payment anyway (it refuses it, 409), so what reached it is counted too: one void asked, once.
      await redriveAndWait();
      expect(await voidsAtZuz()).toEqual(released);
      expect(stack.front.forwardedVoids(paymentId)).toHaveLength(1);
      expect((await ledger({ paymentId })).map((e) => e.kind)).toEqual(['authorization', 'void']);
      // The record's terminal status stands.
      expect((await view(0, BOOT_KEY, 'tx-held')).status).toBe('cancelled');
    } finally {
      await temporal.close();
    }

    // The re-drives' reconciliation runs found nothing to repair in the merchant's transactions (its back office's view of them).
    const theirs = (await call<{ runs: RunReport[] }>(1, 'GET', '/v1/reconciliation/runs?limit=20', { key: backOfficeKey.key })).body.runs;
    expect(theirs.flatMap((r) => r.discrepancies)).toEqual([]);

    // Each re-drive is in the trail, the operator's, with its request id.
    const redrives = audited.filter((a) => a.action === 'finding.redrive');
    expect(redrives).toHaveLength(3);
    const trail = await until(
      'the re-drives are in the trail',
      async () =>
        (await call<{ events: AuditEvent[] }>(0, 'GET', `/v1/audit-events?merchant=${BOOT_MERCHANT}&limit=100`, { key: OPERATOR_KEY })).body
          .events,
      (events) => redrives.every((r) => events.some((e) => e.requestId === r.requestId)),
    );
    for (const r of redrives) {
      expect(trail.find((e) => e.requestId === r.requestId)).toMatchObject({ action: 'finding.redrive', role: 'operator', outcome: 202 });
    }
  },
  STEP_TIMEOUT_MS * 2,
);

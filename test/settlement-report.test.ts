/**
 * The daily settlement report (issue 34): one merchant's day in its time zone, read from the
 * events the service told it of — captures, refunds at its request, and the reconciliation's
 * refunds (given back at once, or pending and settled later) — by currency with counts and net,
 * each line naming its transaction; JSON and CSV. On PostgreSQL under npm test.
 */
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../src/shared/database';
import { MerchantStore } from '../src/merchants/store';
import { ReconciliationStore } from '../src/reconciliation/store';
import { RefundRecords } from '../src/refund/record';
import { TransactionRecords } from '../src/transaction/record';
import { dayIn } from '../src/settlement/report';
import { startInProcessApi, type InProcessApi } from './helpers/in-process-api';
import { transactionKey } from '../src/merchants/model';
import type { TransactionView } from '../src/transaction/model';

const MERCHANT = `shop-${randomBytes(3).toString('hex')}`;
const OTHER = `else-${randomBytes(3).toString('hex')}`;
const KEY = `shop-key-${randomBytes(12).toString('hex')}`;
const OTHER_KEY = `else-key-${randomBytes(12).toString('hex')}`;
const OPERATOR = `operator-key-${randomBytes(12).toString('hex')}`;
const ZONE = 'Europe/Amsterdam';
let db: Database;
let api: InProcessApi;
let baseUrl: string;

beforeAll(async () => {
  db = await openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { inMemory: true });
  await new MerchantStore(db).createMerchant({ merchantId: MERCHANT, name: 'Shop', timeZone: ZONE });
  api = await startInProcessApi({
    db,
    apiKeys: [
      { merchantId: MERCHANT, key: KEY },
      { merchantId: OTHER, key: OTHER_KEY },
    ],
    operatorKeys: [OPERATOR],
  });
  baseUrl = api.url;

  const records = new TransactionRecords(db);
  const refunds = new RefundRecords(db);
  const reconciliation = new ReconciliationStore(db);
  const sale = async (id: string, currency: string, amount: number, status: 'succeeded' | 'failed', merchantId = MERCHANT) => {
    const request = {
      transactionId: id,
      merchantId,
      customerId: 'cus_1',
      paymentMethodId: 'pm_1',
      amount,
      currency,
      capture: 'auto' as const,
    };
    await records.claim(request, `fp-${id}`);
    const view: Omit<TransactionView, 'steps'> = {
      transactionId: id,
      merchantId,
      customerId: 'cus_1',
      status,
      amount,
      currency,
      capture: 'auto',
      authorizedAmount: amount,
      capturedAmount: status === 'succeeded' ? amount : 0,
      zuz: { paymentId: `pay_${id}` },
      ...(status === 'failed' && { failure: { code: 'capture_failed', message: 'Zuz gave no final answer on the capture in time' } }),
    };
    await records.finalize(view);
    return transactionKey(merchantId, id);
  };
  // Two sales in EUR (one partly refunded), one in USD; a failed one whose late capture the reconciliation refunds
  // at once, another whose reconciliation refund is pending and settles on a later run; another merchant's sale.
  const first = await sale('tx-1', 'EUR', 1000, 'succeeded');
  await sale('tx-2', 'EUR', 2500, 'succeeded');
  await sale('tx-3', 'USD', 700, 'succeeded');
  const reservation = await refunds.reserve(first, { refundId: 'r1', amount: 300, reason: 'returned' }, 'fp-r1');
  expect(reservation.kind).toBe('reserved');
  await refunds.finalize(first, 'r1', {
    status: 'succeeded',
    zuz: { kind: 'refund', operationId: 'ref_1', status: 'Succeed', amount: 300 },
  });
  const late = await sale('tx-4', 'EUR', 400, 'failed');
  await reconciliation.recordRefund(late, { kind: 'refund', operationId: 'ref_2', status: 'Succeed', amount: 400 });
  const pending = await sale('tx-5', 'EUR', 900, 'failed');
  await reconciliation.recordRefund(pending, { kind: 'refund', operationId: 'ref_3', status: 'Pending', amount: 900 });
  await reconciliation.noteRefunded(pending, 900);
  await reconciliation.noteRefunded(pending, 900); // a second run finds it settled already: nothing more
  await sale('tx-1', 'EUR', 5000, 'succeeded', OTHER);
}, 60_000);

afterAll(async () => {
  await api.close();
  await db.close();
});

/** Today in the merchant's time zone, as YYYY-MM-DD. */
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date());

async function report(key: string, query: string, accept = 'application/json') {
  const response = await fetch(`${baseUrl}/v1/reports/settlement?${query}`, { headers: { authorization: `Bearer ${key}`, accept } });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

test("a day's captures, refunds and reconciliation refunds, by currency, each line naming its transaction", async () => {
  const answer = await report(KEY, `date=${today()}`);
  expect(answer.status).toBe(200);
  const body = JSON.parse(answer.text) as {
    timeZone: string;
    totals: Array<Record<string, unknown>>;
    lines: Array<{ kind: string; transactionId: string; amount: number; currency: string }>;
  };
  expect(body.timeZone).toBe(ZONE);
  expect(body.totals).toEqual([
    {
      currency: 'EUR',
      captured: 3500,
      captures: 2,
      refunded: 300,
      refunds: 1,
      refundedByReconciliation: 1300,
      reconciliationRefunds: 2,
      net: 1900,
    },
    {
      currency: 'USD',
      captured: 700,
      captures: 1,
      refunded: 0,
      refunds: 0,
      refundedByReconciliation: 0,
      reconciliationRefunds: 0,
      net: 700,
    },
  ]);
  expect(body.lines.map((l) => `${l.kind} ${l.transactionId} ${l.amount} ${l.currency}`).sort()).toEqual(
    [
      'capture tx-1 1000 EUR',
      'capture tx-2 2500 EUR',
      'capture tx-3 700 USD',
      'refund tx-1 300 EUR',
      'reconciliation_refund tx-4 400 EUR',
      'reconciliation_refund tx-5 900 EUR',
    ].sort(),
  );
});

test('as CSV with Accept: text/csv: one row per line, then the net per currency', async () => {
  const answer = await report(KEY, `date=${today()}`, 'text/csv');
  expect(answer.status).toBe(200);
  expect(answer.type).toMatch(/^text\/csv/);
  const rows = answer.text.trim().split('\r\n');
  expect(rows[0]).toBe('kind,transaction_id,refund_id,currency,amount,at,event_id');
  expect(rows).toHaveLength(1 + 6 + 2);
  expect(rows).toEqual(
    expect.arrayContaining([expect.stringMatching(/^refund,tx-1,r1,EUR,300,/), `net,,,EUR,1900,${today()},`, `net,,,USD,700,${today()},`]),
  );
});

test("another day is empty; another merchant's report is its own; an operator names the merchant", async () => {
  const yesterday = new Date(Date.parse(`${today()}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  expect(JSON.parse((await report(KEY, `date=${yesterday}`)).text)).toMatchObject({ totals: [], lines: [] });
  const theirs = JSON.parse((await report(OTHER_KEY, `date=${new Date().toISOString().slice(0, 10)}`)).text) as { totals: unknown[] };
  expect(theirs.totals).toEqual([expect.objectContaining({ currency: 'EUR', captured: 5000, net: 5000 })]);
  expect((await report(OTHER_KEY, `date=${today()}&merchant=${MERCHANT}`)).status).toBe(404);
  expect((await report(OPERATOR, `date=${today()}`)).status).toBe(400);
  expect(JSON.parse((await report(OPERATOR, `date=${today()}&merchant=${MERCHANT}`)).text)).toMatchObject({ merchantId: MERCHANT });
  const bad = await report(KEY, 'date=2026-02-30');
  expect(bad.status).toBe(400);
  expect(bad.text).toContain('date');
});

test("a day of the merchant's time zone: 23 hours when clocks go forward, 25 when they go back", () => {
  const hours = (date: string, zone: string) => {
    const { from, to } = dayIn(date, zone);
    return (to.getTime() - from.getTime()) / 3_600_000;
  };
  expect(hours('2026-03-29', 'Europe/Amsterdam')).toBe(23);
  expect(hours('2026-10-25', 'Europe/Amsterdam')).toBe(25);
  expect(hours('2026-10-25', 'UTC')).toBe(24);
  expect(dayIn('2026-07-01', 'Europe/Amsterdam').from.toISOString()).toBe('2026-06-30T22:00:00.000Z');
  expect(dayIn('2026-01-15', 'America/New_York').from.toISOString()).toBe('2026-01-15T05:00:00.000Z');
});

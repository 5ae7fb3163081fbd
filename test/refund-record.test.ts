/**
 * The record decides how much may still be refunded: several partial refunds up to the captured
 * amount and never beyond it, also when refunds race for the last amount (PostgreSQL when
 * DATABASE_URL is set, as in CI; else the embedded PGlite).
 */
import { refundKey, transactionKeyOfRefund } from '../src/refund/model';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '../src/shared/database';
import { RefundRecords } from '../src/refund/record';
import { TransactionRecords } from '../src/transaction/record';
import type { TransactionRequest } from '../src/transaction/model';

let db: Database;
let records: TransactionRecords;
let refunds: RefundRecords;

beforeAll(async () => {
  db = await openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { inMemory: true });
  records = new TransactionRecords(db);
  refunds = new RefundRecords(db);
});

afterAll(async () => {
  await db?.close();
});

/** A transaction in the record with the given outcome. */
async function recorded(status: 'succeeded' | 'declined', captured: number): Promise<string> {
  const request: TransactionRequest = {
    transactionId: `rf-${randomUUID()}`,
    customerId: 'cus_1',
    paymentMethodId: 'pm_1',
    amount: 1000,
    currency: 'EUR',
    capture: 'auto',
  };
  await records.claim(request, 'fingerprint');
  await records.finalize({
    transactionId: request.transactionId,
    customerId: 'cus_1',
    status,
    amount: 1000,
    currency: 'EUR',
    capture: 'auto',
    authorizedAmount: captured,
    capturedAmount: captured,
    zuz: { paymentId: 'pay_1' },
  });
  return request.transactionId;
}

const ask = (refundId: string, amount?: number) => ({ refundId, amount, reason: 'returned' });

test('partial refunds up to the captured amount, then 0 left: a refund beyond it says how much is refundable', async () => {
  const key = await recorded('succeeded', 1000);
  expect(await refunds.reserve(key, ask('a', 300), 'fa')).toMatchObject({ kind: 'reserved', refund: { amount: 300, status: 'pending' } });
  expect(await refunds.reserve(key, ask('b', 800), 'fb')).toEqual({ kind: 'exceeds', refundable: 700 });
  // Without an amount: everything still refundable.
  expect(await refunds.reserve(key, ask('c'), 'fc')).toMatchObject({ kind: 'reserved', refund: { amount: 700 } });
  expect(await refunds.reserve(key, ask('d', 1), 'fd')).toEqual({ kind: 'exceeds', refundable: 0 });
});

test('a failed refund gives its amount back; a succeeded one keeps it', async () => {
  const key = await recorded('succeeded', 500);
  await refunds.reserve(key, ask('a', 500), 'fa');
  await refunds.finalize(key, 'a', { status: 'failed', message: 'declined' });
  await refunds.reserve(key, ask('b', 200), 'fb');
  await refunds.finalize(key, 'b', { status: 'succeeded', zuz: { kind: 'refund', operationId: 'ref_b', status: 'Succeed', amount: 200 } });
  // Written once: a later outcome does not rewrite it.
  await refunds.finalize(key, 'b', { status: 'failed', message: 'late' });
  expect(await refunds.reserve(key, ask('c', 400), 'fc')).toEqual({ kind: 'exceeds', refundable: 300 });
  expect((await refunds.of(key)).map((r) => [r.refundId, r.status, r.zuzRefundId])).toEqual([
    ['a', 'failed', undefined],
    ['b', 'succeeded', 'ref_b'],
  ]);
});

test('the same refund id: the same request is a repeat, another body a conflict', async () => {
  const key = await recorded('succeeded', 1000);
  const first = await refunds.reserve(key, ask('a', 100), 'same');
  expect(await refunds.reserve(key, ask('a', 100), 'same')).toEqual({
    kind: 'repeat',
    refund: first.kind === 'reserved' ? first.refund : undefined,
    askedZuz: false, // reserved, never asked of Zuz: a repeat may start it
  });
  expect(await refunds.reserve(key, ask('a', 200), 'other')).toEqual({ kind: 'conflict' });
});

test('only a succeeded transaction can be refunded', async () => {
  const key = await recorded('declined', 0);
  expect(await refunds.reserve(key, ask('a', 1), 'fa')).toEqual({ kind: 'not_refundable', status: 'declined' });
});

test('refunds racing for the last amount: exactly as many as fit are reserved, never more', async () => {
  // Rounds of twenty refunds of 300 at once on 1,000 captured: three fit (900), the others are told 100 is left.
  for (let round = 0; round < 5; round++) {
    const key = await recorded('succeeded', 1000);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => refunds.reserve(key, ask(`r${i}`, 300), `f${i}`)));
    expect(results.filter((r) => r.kind === 'reserved')).toHaveLength(3);
    expect(results.filter((r) => r.kind === 'exceeds').map((r) => (r.kind === 'exceeds' ? r.refundable : -1))).toEqual(Array(17).fill(100));
    expect((await refunds.of(key)).reduce((sum, r) => sum + r.amount, 0)).toBe(900);
  }
});

test("a refund's reconciliation id names its transaction, so a late refund webhook is kept for that transaction's reconciliation", () => {
  expect(transactionKeyOfRefund(refundKey('acme/tx-1', 'r1'))).toBe('acme/tx-1');
  expect(transactionKeyOfRefund(refundKey('tx-1', 'r1'))).toBe('tx-1');
  // The reconciliation's own refunds are asked under the transaction's key itself.
  expect(transactionKeyOfRefund('acme/tx-1')).toBe('acme/tx-1');
});

/**
 * Activities in a MockActivityEnvironment, against real dependencies: the database
 * (PostgreSQL when DATABASE_URL is set, else PGlite) and the Zuz and PMS simulators over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type Activities } from '../src/activities';
import { openDatabase, type Database } from '../src/shared/database';
import { PmsClient } from '../src/pms';
import { ZuzClient } from '../src/zuz';
import { startPmsSimulator, type PmsSimulator } from '../sandbox/simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../sandbox/simulators/zuz';
import { MOCK_CARDS } from '../sandbox/simulators/cards';
import type { TransactionRequest } from '../src/transaction/model';
import { transactionKey } from '../src/merchants/model';
import { RefundRecords } from '../src/refund/record';
import { createZuzActivities } from '../src/zuz/activities';
import { UpstreamError } from '../src/shared/http';
import { refundFingerprint } from '../src/refund/routes';

let db: Database;
let zuz: ZuzSimulator;
let pms: PmsSimulator;
let activities: Activities;
const mockEnv = new MockActivityEnvironment();
/** Runs an activity as Temporal would (with an activity context), keeping its result type. */
const env = { run: <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) => mockEnv.run<A, R, typeof fn>(fn, ...args) };

beforeAll(async () => {
  db = await openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { inMemory: true });
  zuz = await startZuzSimulator({ appId: 'app', privateKey: 'zuz-key', timeScale: 0.001 });
  pms = await startPmsSimulator({ apiKey: 'pms-key' });
  activities = createActivities({
    db,
    zuz: new ZuzClient({ baseUrl: zuz.url, appId: 'app', privateKey: 'zuz-key', environment: 'test', timeoutMs: 2000 }),
    pms: new PmsClient({ baseUrl: pms.url, apiKey: 'pms-key', timeoutMs: 2000 }),
    risk: { maxTransactionsPerHour: 3, maxAmountPerDay: 10_000 },
    workflowOf: async () => 'gone',
  });
});

afterAll(async () => {
  await Promise.all([db?.close(), zuz?.close(), pms?.close()]);
});

function request(overrides: Partial<TransactionRequest> = {}): TransactionRequest {
  return {
    transactionId: `act-${randomUUID()}`,
    customerId: `cus_${randomUUID()}`,
    paymentMethodId: 'pm_approved',
    amount: 500,
    currency: 'EUR',
    capture: 'auto',
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected the activity to fail');
}

describe('database activities', () => {
  test('recording the same request twice keeps one row; another request under the same id is a non-retryable conflict', async () => {
    const tx = request();
    await env.run(activities.recordTransaction, tx);
    await env.run(activities.recordTransaction, tx);
    const { rows } = await db.query('SELECT status FROM transactions WHERE transaction_id = $1', [tx.transactionId]);
    expect(rows).toEqual([{ status: 'processing' }]);

    const conflict = await failureOf(env.run(activities.recordTransaction, { ...tx, amount: 501 }));
    expect(conflict.type).toBe('TransactionConflict');
    expect(conflict.nonRetryable).toBe(true);
  });

  test('a customer keeps one account across transactions, and a retry assigns the same one', async () => {
    const first = request();
    const second = request({ customerId: first.customerId });
    await env.run(activities.recordTransaction, first);
    await env.run(activities.recordTransaction, second);
    const a = await env.run(activities.assignAccountId, first);
    const again = await env.run(activities.assignAccountId, first);
    const b = await env.run(activities.assignAccountId, second);
    expect(a).toMatch(/^acct_[0-9a-f]{32}$/);
    expect(again).toBe(a);
    expect(b).toBe(a);
  });
});

describe('risk screening', () => {
  test('clears a customer within the limits, and rejects one over the hourly count', async () => {
    const customerId = `cus_${randomUUID()}`;
    const record = async () => {
      const tx = request({ customerId, amount: 100 });
      await env.run(activities.recordTransaction, tx);
      return tx;
    };
    const recordedFirst = (await record()).transactionId;
    await record();
    expect(await env.run(activities.screenTransaction, await record())).toEqual({ cleared: true });
    const refused = await record();
    const verdict = await env.run(activities.screenTransaction, refused);
    expect(verdict).toEqual({ cleared: false, reason: 'More than 3 transactions in the last hour' });

    // A refused attempt does not extend the block: with it marked, the next one sees the same 3.
    await db.query(`UPDATE transactions SET status = 'declined', failure_code = 'risk_rejected' WHERE transaction_id = $1`, [
      refused.transactionId,
    ]);
    const next = await record();
    await db.query(`DELETE FROM transactions WHERE transaction_id = $1`, [recordedFirst]);
    expect(await env.run(activities.screenTransaction, next)).toEqual({ cleared: true });
  });

  test('rejects an amount that would pass the daily limit; failed transactions do not count', async () => {
    const customerId = `cus_${randomUUID()}`;
    const failed = request({ customerId, amount: 9_000 });
    await env.run(activities.recordTransaction, failed);
    await db.query(`UPDATE transactions SET status = 'failed' WHERE transaction_id = $1`, [failed.transactionId]);
    const spent = request({ customerId, amount: 6_000 });
    await env.run(activities.recordTransaction, spent);

    const small = request({ customerId, amount: 4_000 });
    const large = request({ customerId, amount: 4_001 });
    await env.run(activities.recordTransaction, small);
    expect(await env.run(activities.screenTransaction, small)).toEqual({ cleared: true });
    expect((await env.run(activities.screenTransaction, large)).cleared).toBe(false);
  });
});

describe('Zuz activities', () => {
  test('createAuthorization returns the result without the card token, and a retry performs nothing twice', async () => {
    const tx = request({ customerId: 'cus_demo' });
    const first = await env.run(activities.createAuthorization, tx);
    const retry = await env.run(activities.createAuthorization, tx);

    expect(first.authorization).toMatchObject({ kind: 'authorization', status: 'Succeed', amount: 500 });
    expect(retry).toEqual(first);
    expect(zuz.ledger.entries({ reconciliationId: tx.transactionId })).toHaveLength(1);
    const token = MOCK_CARDS.find((c) => c.paymentMethodId === 'pm_approved')!.providerToken;
    expect(JSON.stringify(first)).not.toContain(token);
  });

  test('createPayment opens the payment once; createAuthorization then authorizes that payment', async () => {
    const tx = request({ customerId: 'cus_demo' });
    const opened = await env.run(activities.createPayment, tx);
    expect(await env.run(activities.createPayment, tx)).toEqual(opened);

    const created = await env.run(activities.createAuthorization, { ...tx, paymentId: opened.paymentId });
    expect(created).toMatchObject({ paymentId: opened.paymentId, authorization: { status: 'Succeed' } });
    const state = await env.run(activities.readPaymentState, { paymentId: opened.paymentId });
    expect(state.authorization?.operationId).toBe(created.authorization.operationId);
  });

  test('a void Zuz refuses (409) is a non-retryable UpstreamRefused; its key keeps that answer, so round 2 is a new request', async () => {
    const tx = request({ customerId: 'cus_demo' });
    const { paymentId } = await env.run(activities.createPayment, tx);
    const voidOf = (round?: 1 | 2) => env.run(activities.voidAuthorization, { transactionId: tx.transactionId, paymentId, round });
    const failure = await failureOf(voidOf());
    expect(failure).toMatchObject({ type: 'UpstreamRefused', nonRetryable: true });

    await env.run(activities.createAuthorization, { ...tx, paymentId });
    expect(await failureOf(voidOf(1))).toMatchObject({ type: 'UpstreamRefused' });
    expect(await voidOf(2)).toMatchObject({ kind: 'void', status: 'Succeed' });
  });

  test.each([
    ['pm_expired', 'PaymentMethodUnusable'],
    ['pm_blocked', 'PaymentMethodUnusable'],
    ['pm_unknown', 'PaymentMethodNotFound'],
    ['pm_other_customer', 'PaymentMethodNotFound'],
  ])('%s is a benign, non-retryable %s', async (paymentMethodId, type) => {
    const failure = await failureOf(env.run(activities.createAuthorization, request({ customerId: 'cus_demo', paymentMethodId })));
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.category).toBe(ApplicationFailureCategory.BENIGN);
  });

  test("PMS is asked for the transaction's merchant: another merchant's customer's card is PaymentMethodNotFound and reaches no Zuz", async () => {
    const { cardNumber: _pan, ...approved } = MOCK_CARDS.find((c) => c.paymentMethodId === 'pm_approved')!;
    const card = { customerId: `cus_${randomUUID()}`, paymentMethodId: `pm_${randomUUID()}` };
    pms.addPaymentMethod({ ...approved, ...card }, 'acme');

    // The same customer and payment-method ids, under the default merchant's key (a bare id) and globex's.
    for (const transactionId of [`act-${randomUUID()}`, transactionKey('globex', `act-${randomUUID()}`)]) {
      const failure = await failureOf(env.run(activities.createAuthorization, request({ ...card, transactionId })));
      expect(failure).toMatchObject({ type: 'PaymentMethodNotFound', nonRetryable: true });
      expect(zuz.ledger.entries({ reconciliationId: transactionId })).toEqual([]);
    }
    const own = request({ ...card, transactionId: transactionKey('acme', `act-${randomUUID()}`) });
    expect((await env.run(activities.createAuthorization, own)).authorization).toMatchObject({ kind: 'authorization', status: 'Succeed' });
  });

  test('a 5xx from Zuz is left to the retry policy, and the retry completes the same operation', async () => {
    const tx = request({ customerId: 'cus_demo' });
    zuz.setFaults({ failAfterNext: 2 });
    try {
      const failure = await failureOf(env.run(activities.createAuthorization, tx));
      expect(failure.type).toBe('UpstreamUnavailable');
      expect(failure.nonRetryable).toBe(false);
    } finally {
      zuz.setFaults({});
    }
    const created = await env.run(activities.createAuthorization, tx);
    expect(created.authorization.status).toBe('Succeed');
    expect(zuz.ledger.entries({ reconciliationId: tx.transactionId }).filter((e) => e.kind === 'authorization')).toHaveLength(1);
  });

  test('a retried capture reuses its idempotency key; the payment state shows what happened', async () => {
    const tx = request({ customerId: 'cus_demo', amount: 5000 });
    const { paymentId } = await env.run(activities.createAuthorization, tx);
    const capture = await env.run(activities.capturePayment, { transactionId: tx.transactionId, paymentId, amount: 4000 });
    const again = await env.run(activities.capturePayment, { transactionId: tx.transactionId, paymentId, amount: 4000 });
    expect(again).toEqual(capture);
    const state = await env.run(activities.readPaymentState, { paymentId });
    expect(state.capture).toMatchObject({ status: 'Succeed', amount: 4000, operationId: capture.operationId });
    expect(zuz.ledger.entries({ paymentId }).filter((e) => e.kind === 'capture')).toHaveLength(1);
  });
});

describe('the reconciliation follows what no workflow follows (issue 31, findings 5, 6 and the payment id)', () => {
  /** A transaction recorded, authorized and captured at Zuz; its record as the flow finalizes it. */
  async function captured(status: 'succeeded' | 'failed', amount: number): Promise<{ key: string; paymentId: string }> {
    const tx = request({ customerId: 'cus_demo', amount });
    await env.run(activities.recordTransaction, tx);
    const { paymentId } = await env.run(activities.createPayment, tx);
    // The record names the payment as soon as Zuz opens it, long before the flow finalizes.
    const linked = await db.query<{ zuz_payment_id: string }>(`SELECT zuz_payment_id FROM transactions WHERE transaction_id = $1`, [
      tx.transactionId,
    ]);
    expect(linked.rows[0].zuz_payment_id).toBe(paymentId);
    await env.run(activities.createAuthorization, { ...tx, paymentId });
    await env.run(activities.capturePayment, { transactionId: tx.transactionId, paymentId, amount });
    await db.query(
      `UPDATE transactions SET status = $2, captured_amount = $3, finalized_at = now() - interval '3 days', updated_at = now() - interval '3 days',
              created_at = now() - interval '3 days' WHERE transaction_id = $1`,
      [tx.transactionId, status, status === 'succeeded' ? amount : 0],
    );
    return { key: tx.transactionId, paymentId };
  }

  async function reconcile(): Promise<Array<{ transactionId: string; kind: string; outcome: string }>> {
    const runId = `run-${randomUUID()}`;
    const periodStart = new Date(Date.now() - 3600_000).toISOString();
    await env.run(activities.openReconciliationRun, { runId, periodStart });
    for (let after: string | undefined = ''; after !== undefined;) {
      after = (await env.run(activities.reconcilePage, { runId, periodStart, after })).next;
    }
    const { rows } = await db.query<{ transaction_id: string; kind: string; outcome: string }>(
      `SELECT transaction_id, kind, outcome FROM reconciliation_discrepancies WHERE run_id = $1 ORDER BY kind, subject`,
      [runId],
    );
    return rows.map((row) => ({ transactionId: row.transaction_id, kind: row.kind, outcome: row.outcome }));
  }

  test('a refund pending at its deadline, days old, is settled from Zuz; one that never reached Zuz is released; neither is asked again', async () => {
    const { key, paymentId } = await captured('succeeded', 1000);
    const refunds = new RefundRecords(db);
    const reserved = async (refundId: string, amount: number) => {
      const ask = { refundId, amount, reason: 'returned' };
      expect((await refunds.reserve(key, ask, refundFingerprint(ask))).kind).toBe('reserved');
    };
    await reserved('asked', 300);
    await env.run(activities.requestRefund, { transactionKey: key, refundId: 'asked', paymentId, amount: 300, reason: 'returned' });
    await reserved('never-sent', 200);
    // Both older than the period: only their being pending makes the run look at them.
    await db.query(`UPDATE refunds SET created_at = now() - interval '3 days' WHERE transaction_id = $1`, [key]);

    expect((await reconcile()).filter((d) => d.transactionId === key)).toEqual([
      { transactionId: key, kind: 'refund_unsettled', outcome: 'refund_succeeded' },
      { transactionId: key, kind: 'refund_unsettled', outcome: 'released' },
    ]);
    expect((await refunds.of(key)).map((r) => [r.refundId, r.status])).toEqual([
      ['asked', 'succeeded'],
      ['never-sent', 'failed'],
    ]);
    expect(zuz.ledger.entries({ paymentId }).filter((e) => e.kind === 'refund')).toHaveLength(1);
    // Settled: the next run finds nothing left to do for it (it converges).
    expect((await reconcile()).filter((d) => d.transactionId === key)).toEqual([]);
  });

  test('a late capture the flow never took is refunded once; the run after finds it settled and refunds nothing', async () => {
    const { key, paymentId } = await captured('failed', 800);
    await db.query(`UPDATE transactions SET updated_at = now() WHERE transaction_id = $1`, [key]);
    expect((await reconcile()).filter((d) => d.transactionId === key)).toEqual([
      { transactionId: key, kind: 'captured_after_failure', outcome: 'refunded' },
    ]);
    expect((await reconcile()).filter((d) => d.transactionId === key)).toEqual([]);
    expect(
      zuz.ledger
        .entries({ paymentId })
        .filter((e) => e.kind === 'refund')
        .map((e) => `${e.status}:${e.amount}`),
    ).toEqual(['Succeed:800']);
  });
});

describe('a refund answered with something other than a refund (issue 31, finding 10)', () => {
  const order = { transactionKey: 'tx-r', refundId: 'r1', paymentId: 'pay-r', amount: 500, reason: 'returned' };
  const performed = { kind: 'refund' as const, operationId: 'ref-1', status: 'Succeed' as const, amount: 500 };
  /** The Zuz activities over a Zuz that answers the refund with `answer` and shows `refunds` on the payment. */
  const refundActivity = (answer: UpstreamError, refunds: Array<typeof performed & { reconciliationId: string }>) => {
    const zuzFake = {
      createRefund: () => Promise.reject(answer),
      readPayment: () => Promise.resolve({ refunds }),
    };
    return createZuzActivities(zuzFake as unknown as ZuzClient, {} as PmsClient).requestRefund;
  };

  test('a 4xx while Zuz shows the refund under its id: the refund Zuz performed is the answer, not a failure', async () => {
    const requestRefund = refundActivity(new UpstreamError('Zuz', 409, 'POST answered 409'), [
      { ...performed, reconciliationId: 'tx-r/refunds/r1' },
    ]);
    expect(await env.run(requestRefund, order)).toEqual(performed);
  });

  test("a 4xx and no such refund at Zuz (another refund's does not count) is the refusal", async () => {
    const requestRefund = refundActivity(new UpstreamError('Zuz', 409, 'POST answered 409'), [
      { ...performed, reconciliationId: 'tx-r/refunds/other' },
    ]);
    expect((await failureOf(env.run(requestRefund, order))).type).toBe('RefundRefused');
  });

  test('a 2xx whose body could not be read, and no refund shown yet: retried (the same key), never recorded failed', async () => {
    const requestRefund = refundActivity(new UpstreamError('Zuz', 200, 'answered 200 with a body that is not JSON'), []);
    const failure = await failureOf(env.run(requestRefund, order));
    expect([failure.type, failure.nonRetryable]).toEqual(['UpstreamUnavailable', false]);
  });
});

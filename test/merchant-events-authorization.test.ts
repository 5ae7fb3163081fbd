/**
 * The events issue 33 left for later: `transaction.authorized` (written by the flow's
 * `noteAuthorized` step, in the same database transaction as the record's authorization) and
 * `authorization.released` (the reconciliation's void of a forgotten hold), each written once
 * however often its step is retried, and the request id that started a transaction (or asked for
 * a refund) in the workflow's memo and in the events it causes.
 *
 * The record and the reconciliation run here against an embedded database; the flow runs for real
 * on the time-skipping server, with the service's own database activities and Zuz approving.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { openDatabase, type Database } from '../src/shared/database';
import { createDatabaseActivities } from '../src/transaction/activities';
import { TransactionRecords } from '../src/transaction/record';
import { RefundRecords } from '../src/refund/record';
import { ReconciliationStore } from '../src/reconciliation/store';
import { reconcileTransaction, type Reconciler } from '../src/reconciliation/activities';
import { transactionKey } from '../src/merchants/model';
import { requestFingerprint } from '../src/transaction/request-fingerprint';
import { captureUpdate } from '../src/transaction/workflow/messages';
import type { TransactionRequest, TransactionView, ZuzOperationResult } from '../src/transaction/model';
import type { ZuzClient, ZuzPaymentState } from '../src/zuz';
import { approvingActivities } from './helpers/approving-activities';
import { startInProcessApi, type InProcessApi } from './helpers/in-process-api';
import { bundleWorkflows, createTimeSkippingEnv } from './helpers/temporal';

const MERCHANT = `shop-${randomUUID().slice(0, 8)}`;
const KEY = `key-of-${MERCHANT}-0123456789`;
const RISK = { maxTransactionsPerHour: 1000, maxAmountPerDay: 100_000_000 };

let db: Database;
let records: TransactionRecords;

beforeAll(async () => {
  db = await openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { inMemory: true });
  records = new TransactionRecords(db);
});

afterAll(async () => {
  await db?.close();
});

const request = (transactionId: string, overrides: Partial<TransactionRequest> = {}): TransactionRequest => ({
  merchantId: MERCHANT,
  transactionId,
  customerId: 'cus_1',
  paymentMethodId: 'pm_1',
  amount: 1250,
  currency: 'EUR',
  capture: 'auto',
  ...overrides,
});

interface EventRow {
  id: string;
  type: string;
  sequence: number;
  request_id: string | null;
  data: Record<string, unknown>;
}

async function eventsOf(key: string): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT id, type, sequence, request_id, data FROM merchant_events WHERE transaction_key = $1 ORDER BY sequence`,
    [key],
  );
  return rows.map((row) => ({ ...row, sequence: Number(row.sequence) }));
}

const typesOf = (rows: EventRow[]) => rows.map((row) => [row.type, row.sequence]);

function finalView(req: TransactionRequest, status: TransactionView['status'], extra: Partial<TransactionView> = {}): TransactionView {
  return {
    transactionId: req.transactionId,
    merchantId: req.merchantId,
    customerId: req.customerId,
    status,
    amount: req.amount,
    currency: req.currency,
    capture: req.capture,
    authorizedAmount: req.amount,
    capturedAmount: status === 'succeeded' ? req.amount : 0,
    zuz: { paymentId: `pay_${req.transactionId}`, authorizationId: `auth_${req.transactionId}` },
    steps: [],
    ...extra,
  };
}

describe('transaction.authorized, written by noteAuthorized', () => {
  test('one event however often the step runs, with the record, before the terminal one, carrying the request id', async () => {
    const req = request('tx-noted');
    const key = transactionKey(MERCHANT, req.transactionId);
    await records.claim(req, requestFingerprint(req), 'req_started_it');
    const { noteAuthorized } = createDatabaseActivities(db, RISK);
    const authorization = { transactionId: key, authorizedAmount: 1250, paymentId: 'pay_tx-noted', authorizationId: 'auth_tx-noted' };
    await noteAuthorized(authorization);
    await noteAuthorized(authorization); // a retry (its first answer lost): nothing more

    const [authorized] = await eventsOf(key);
    expect(typesOf(await eventsOf(key))).toEqual([['transaction.authorized', 1]]);
    expect(authorized.request_id).toBe('req_started_it');
    // The transaction as the record shows it then: the money held, Zuz's ids.
    expect(authorized.data).toMatchObject({
      transactionId: 'tx-noted',
      status: 'authorized',
      authorizedAmount: 1250,
      capturedAmount: 0,
      zuz: { paymentId: 'pay_tx-noted', authorizationId: 'auth_tx-noted' },
    });
    expect(await records.find(key)).toMatchObject({ status: 'authorized', authorizedAmount: 1250 });

    await records.finalize(finalView(req, 'succeeded'));
    await noteAuthorized(authorization); // late (it cannot be, the flow waits for it): a finalized record is not touched
    const rows = await eventsOf(key);
    expect(typesOf(rows)).toEqual([
      ['transaction.authorized', 1],
      ['transaction.succeeded', 2],
    ]);
    expect(rows[1].request_id).toBe('req_started_it');
    expect(await records.find(key)).toMatchObject({ status: 'succeeded' });
  });
});

describe('the flow tells the merchant of the authorization (time-skipping server, the real database steps)', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: { code: string };

  beforeAll(async () => {
    [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  }, 180_000);

  afterAll(async () => {
    await env?.teardown();
  });

  /** Zuz approves; the database steps are the service's own, and noteAuthorized's first `failures` attempts fail (the database away). */
  function activities(failures = 0) {
    const database = createDatabaseActivities(db, RISK);
    let attempts = 0;
    return {
      activities: {
        ...approvingActivities(),
        ...database,
        noteAuthorized: async (input: Parameters<typeof database.noteAuthorized>[0]) => {
          if (++attempts <= failures) throw new Error('the database is away');
          return database.noteAuthorized(input);
        },
      },
      attempts: () => attempts,
    };
  }

  async function run(
    req: TransactionRequest,
    failures = 0,
    during?: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<void>,
  ): Promise<{ view: TransactionView; attempts: number }> {
    const key = transactionKey(req.merchantId, req.transactionId);
    // As the API does before it starts the workflow: the record knows the request that started it.
    await records.claim(req, requestFingerprint(req), `req_${req.transactionId}`);
    const taskQueue = `authorized-${randomUUID()}`;
    const { activities: acts, attempts } = activities(failures);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: acts });
    const view = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('processTransaction', {
        taskQueue,
        workflowId: `transaction-${key}`,
        args: [
          { request: req, options: { steps: { database: { startToCloseTimeout: '5 seconds', retry: { initialInterval: '1 second' } } } } },
        ],
      });
      await during?.(handle);
      return (await handle.result()) as TransactionView;
    });
    return { view, attempts: attempts() };
  }

  test('auto capture: the step is journalled before the capture, its retries write one event, and it precedes the terminal one', async () => {
    const req = request(`tx-auto-${randomUUID().slice(0, 8)}`);
    const { view, attempts } = await run(req, 2);
    expect(view.status).toBe('succeeded');
    expect(attempts).toBe(3);
    const names = view.steps.map((s) => `${s.name}:${s.state}`);
    expect(names).toContain('noteAuthorized:completed');
    expect(names.indexOf('noteAuthorized:completed')).toBeGreaterThan(names.indexOf('awaitAuthorizationResult:completed'));
    expect(names.indexOf('noteAuthorized:completed')).toBeLessThan(names.indexOf('finalizeTransaction:completed'));

    const rows = await eventsOf(transactionKey(MERCHANT, req.transactionId));
    expect(typesOf(rows)).toEqual([
      ['transaction.authorized', 1],
      ['transaction.succeeded', 2],
    ]);
    expect(rows.map((row) => row.request_id)).toEqual([`req_${req.transactionId}`, `req_${req.transactionId}`]);
  }, 120_000);

  test('manual capture: the merchant is told while the flow waits for the capture request', async () => {
    const req = request(`tx-manual-${randomUUID().slice(0, 8)}`, { capture: 'manual' });
    const key = transactionKey(MERCHANT, req.transactionId);
    const { view } = await run(req, 0, async (handle) => {
      // Told before anyone asks to capture: the back office learns here that it may.
      for (let i = 0; i < 200 && (await eventsOf(key)).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(typesOf(await eventsOf(key))).toEqual([['transaction.authorized', 1]]);
      await handle.executeUpdate(captureUpdate, { args: [{ amount: 1000 }] });
    });
    expect(view).toMatchObject({ status: 'succeeded', capturedAmount: 1000 });
    expect(typesOf(await eventsOf(key))).toEqual([
      ['transaction.authorized', 1],
      ['transaction.succeeded', 2],
    ]);
  }, 120_000);

  test('a transaction never authorized tells only its outcome', async () => {
    const req = request(`tx-risky-${randomUUID().slice(0, 8)}`, { amount: 200_000_000 });
    const { view, attempts } = await run(req);
    expect(view.status).toBe('declined');
    expect(attempts).toBe(0);
    expect(typesOf(await eventsOf(transactionKey(MERCHANT, req.transactionId)))).toEqual([['transaction.declined', 1]]);
  }, 120_000);
});

describe('authorization.released, the reconciliation releasing a forgotten hold', () => {
  const held = (state: Partial<ZuzPaymentState> = {}): ZuzPaymentState => ({
    authorization: { kind: 'authorization', operationId: 'auth_1', status: 'Succeed', amount: 800 },
    capture: { kind: 'capture', operationId: 'cap_1', status: 'Failed', amount: 800 },
    ...state,
  });
  const voidResult = (status: ZuzOperationResult['status'], operationId = 'void_rec'): ZuzOperationResult => ({
    kind: 'void',
    operationId,
    status,
    amount: 800,
  });

  /** A failed transaction whose authorization Zuz still holds; Zuz answers each void with `answer` (and then shows `after`). */
  async function heldTransaction(id: string) {
    const req = request(id, { amount: 800 });
    const key = transactionKey(MERCHANT, id);
    await records.claim(req, requestFingerprint(req), `req_${id}`);
    await records.finalize(
      finalView(req, 'failed', {
        capturedAmount: 0,
        failure: { code: 'capture_failed', message: 'Zuz refused the capture' },
        zuz: { paymentId: `pay_${id}` },
      }),
    );
    return key;
  }

  /** One transaction of a run (opened first, named per test file run: the database may outlive it). */
  async function reconcile(reconciler: Reconciler, run: string, key: string): Promise<number> {
    const runId = `${run}-${MERCHANT}`;
    await reconciler.store.openRun(runId, new Date(Date.now() - 3_600_000));
    return reconcileTransaction(reconciler, runId, key);
  }

  function reconcilerOver(zuz: { state: ZuzPaymentState; createVoid: () => Promise<ZuzOperationResult> }, voids: string[]): Reconciler {
    return {
      store: new ReconciliationStore(db),
      refunds: new RefundRecords(db),
      zuz: {
        readPayment: async () => zuz.state,
        createVoid: async (paymentId: string, key: string) => {
          voids.push(`${paymentId} ${key}`);
          return zuz.createVoid();
        },
      } as unknown as ZuzClient,
      workflowOf: async () => 'closed',
      report: () => undefined,
      unreadable: () => undefined,
    };
  }

  test('a void that goes through is told once, however often the run looks again', async () => {
    const key = await heldTransaction('tx-held-voided');
    const voids: string[] = [];
    const zuz = {
      state: held(),
      createVoid: async () => {
        zuz.state = held({ void: voidResult('Succeed') });
        return voidResult('Succeed');
      },
    };
    const reconciler = reconcilerOver(zuz, voids);
    expect(await reconcile(reconciler, 'run-released-1', key)).toBe(1);
    expect(await reconcile(reconciler, 'run-released-1', key)).toBe(0); // the page retried: Zuz shows it released
    expect(await reconcile(reconciler, 'run-released-2', key)).toBe(0);
    expect(voids).toHaveLength(1);

    const rows = await eventsOf(key);
    expect(typesOf(rows)).toEqual([
      ['transaction.failed', 1],
      ['authorization.released', 2],
    ]);
    expect(rows[1].data).toMatchObject({
      transactionId: 'tx-held-voided',
      status: 'failed',
      reconciliationRelease: { operationId: 'void_rec', amount: 800 },
    });
    // The reconciliation acted for no API request: its event names none.
    expect(rows[1].request_id).toBeNull();
  });

  test('a void whose answer was lost, or that was pending, is told when a later look finds the hold released', async () => {
    const lost = await heldTransaction('tx-held-lost');
    const zuz = {
      state: held(),
      createVoid: async () => {
        zuz.state = held({ void: voidResult('Succeed', 'void_lost') });
        throw new Error('the answer was lost');
      },
    };
    const reconciler = reconcilerOver(zuz, []);
    await expect(reconcile(reconciler, 'run-lost', lost)).rejects.toThrow('the answer was lost');
    expect(typesOf(await eventsOf(lost))).toEqual([['transaction.failed', 1]]);
    await reconcile(reconciler, 'run-lost', lost); // the page again: nothing to repair, the release is told
    expect(typesOf(await eventsOf(lost))).toEqual([
      ['transaction.failed', 1],
      ['authorization.released', 2],
    ]);

    const pending = await heldTransaction('tx-held-pending');
    const slow = { state: held(), createVoid: async () => voidResult('Pending', 'void_slow') };
    const slowReconciler = reconcilerOver(slow, []);
    await reconcile(slowReconciler, 'run-pending-1', pending);
    expect(typesOf(await eventsOf(pending))).toEqual([['transaction.failed', 1]]);
    slow.state = held({ void: voidResult('Succeed', 'void_slow') });
    await reconcile(slowReconciler, 'run-pending-2', pending);
    await reconcile(slowReconciler, 'run-pending-3', pending);
    expect(typesOf(await eventsOf(pending))).toEqual([
      ['transaction.failed', 1],
      ['authorization.released', 2],
    ]);
  });

  test('a void Zuz fails tells nothing', async () => {
    const key = await heldTransaction('tx-held-refused');
    const zuz = { state: held(), createVoid: async () => voidResult('Failed', 'void_failed') };
    await reconcile(reconcilerOver(zuz, []), 'run-refused', key);
    expect(typesOf(await eventsOf(key))).toEqual([['transaction.failed', 1]]);
  });
});

describe('the request id that started a transaction or asked for a refund', () => {
  let api: InProcessApi;
  const starts: WorkflowStartOptions[] = [];

  beforeAll(async () => {
    api = await startInProcessApi({
      db,
      apiKeys: [{ merchantId: MERCHANT, key: KEY }],
      prepare: (client) => {
        client.workflow.start = (async (_type: string, options: WorkflowStartOptions) => {
          starts.push(options);
          return { firstExecutionRunId: `run-${starts.length}` };
        }) as unknown as Client['workflow']['start'];
      },
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  const post = (route: string, body: unknown, requestId: string) =>
    fetch(api.url + route, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify(body),
    });

  test("is in the workflow's memo and the record, and so in the transaction's events; a refund's in the refund's", async () => {
    const req = request('tx-api');
    const { merchantId: _merchant, ...body } = req;
    const created = await post('/v1/transactions', body, 'till-req-42');
    expect(created.status).toBe(202);
    expect(created.headers.get('request-id')).toBe('till-req-42');
    expect(starts.at(-1)?.memo).toMatchObject({ transactionId: 'tx-api', requestId: 'till-req-42' });
    const key = transactionKey(MERCHANT, 'tx-api');
    // A repeat of the request, under another request id, is not the one that started it: the record keeps the first.
    await records.claim(req, requestFingerprint(req), 'till-req-43');
    const recorded = await db.query<{ request_id: string }>(`SELECT request_id FROM transactions WHERE transaction_id = $1`, [key]);
    expect(recorded.rows).toEqual([{ request_id: 'till-req-42' }]);

    await records.finalize(finalView(req, 'succeeded'));
    expect((await eventsOf(key)).map((row) => [row.type, row.request_id])).toEqual([['transaction.succeeded', 'till-req-42']]);

    const refund = await post('/v1/transactions/tx-api/refunds', { refundId: 'rf-1', amount: 500, reason: 'returned' }, 'office-req-7');
    expect(refund.status).toBe(202);
    expect(starts.at(-1)?.memo).toMatchObject({ requestId: 'office-req-7' });
    await new RefundRecords(db).finalize(key, 'rf-1', {
      status: 'succeeded',
      zuz: { kind: 'refund', operationId: 'ref_1', status: 'Succeed', amount: 500 },
    });
    expect((await eventsOf(key)).map((row) => [row.type, row.request_id])).toEqual([
      ['transaction.succeeded', 'till-req-42'],
      ['refund.succeeded', 'office-req-7'],
    ]);
    // As the API lists it.
    const listed = await fetch(`${api.url}/v1/events?type=refund.succeeded`, { headers: { authorization: `Bearer ${KEY}` } });
    const { events } = (await listed.json()) as { events: Array<{ transactionId: string; requestId?: string }> };
    expect(events.find((event) => event.transactionId === 'tx-api')?.requestId).toBe('office-req-7');
  });
});

/**
 * Operators act on what the reconciliation found (issue 34): the open findings across merchants;
 * a finding resolved by hand (with its reason) is neither repaired nor reported by later runs;
 * a re-drive starts the reconciliation now for the transaction. Each action is audited.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { reconcileTransaction, type Reconciler } from '../src/reconciliation/activities';
import { openDatabase, type Database } from '../src/shared/database';
import { ReconciliationStore } from '../src/reconciliation/store';
import { RefundRecords } from '../src/refund/record';
import { TransactionRecords } from '../src/transaction/record';
import type { ZuzClient } from '../src/zuz';
import { transactionKey } from '../src/merchants/model';
import { startInProcessApi, type InProcessApi } from './helpers/in-process-api';
import type { ZuzOperationResult } from '../src/transaction/model';

const MERCHANT = `acme-${randomBytes(3).toString('hex')}`;
const MERCHANT_KEY = `acme-key-${randomBytes(12).toString('hex')}`;
const OPERATOR = `operator-key-${randomBytes(12).toString('hex')}`;
const started: unknown[][] = [];
/** Whether the fake Temporal answers a start as a workflow already running under that id. */
let redriveRunning = false;
let db: Database;
let api: InProcessApi;
let baseUrl: string;
let store: ReconciliationStore;

const HELD = transactionKey(MERCHANT, 'tx-held');
const VOIDED = transactionKey(MERCHANT, 'tx-voided');
const LATER = transactionKey(MERCHANT, 'tx-later');

beforeAll(async () => {
  db = await openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { inMemory: true });
  api = await startInProcessApi({
    db,
    apiKeys: [{ merchantId: MERCHANT, key: MERCHANT_KEY }],
    operatorKeys: [OPERATOR],
    taskQueue: 'payments',
    // The re-drive's start, seen here instead of reaching a Temporal server.
    prepare: (client) => {
      client.workflow.start = (async (...args: unknown[]) => {
        if (redriveRunning)
          throw new WorkflowExecutionAlreadyStartedError(
            'already started',
            String((args[1] as { workflowId: string }).workflowId),
            String(args[0]),
          );
        started.push(args);
      }) as unknown as Client['workflow']['start'];
    },
  });
  baseUrl = api.url;

  const records = new TransactionRecords(db);
  store = new ReconciliationStore(db);
  for (const id of ['tx-held', 'tx-voided', 'tx-later']) {
    const request = {
      transactionId: id,
      merchantId: MERCHANT,
      customerId: 'c',
      paymentMethodId: 'p',
      amount: 800,
      currency: 'EUR',
      capture: 'auto' as const,
    };
    await records.claim(request, `fp-${id}`);
    await records.finalize({
      ...request,
      status: 'failed',
      authorizedAmount: 800,
      capturedAmount: 0,
      zuz: { paymentId: `pay-${id}` },
      failure: { code: 'capture_failed', message: 'Zuz refused the capture' },
    });
    await store.reconcileAgain(transactionKey(MERCHANT, id), true);
  }
  const runId = `run-${MERCHANT}`;
  await store.openRun(runId, new Date(Date.now() - 3_600_000));
  const held = { kind: 'authorization_held' as const, detail: 'Zuz holds an approved authorization', repair: { action: 'void' as const } };
  await store.recordDiscrepancy(runId, HELD, held, 'release_failed');
  await store.recordDiscrepancy(runId, VOIDED, held, 'voided');
  await store.recordDiscrepancy(runId, LATER, held, 'release_failed');
});

afterAll(async () => {
  await api.close();
  await db.close();
});

async function call(key: string, method: string, route: string, body?: unknown) {
  const response = await fetch(baseUrl + route, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const mine = async () =>
  (
    (await call(OPERATOR, 'GET', '/v1/operator/findings?limit=200')).body.findings as Array<{
      merchantId: string;
      transactionId: string;
      outcome: string;
    }>
  )
    .filter((f) => f.merchantId === MERCHANT)
    .map((f) => `${f.transactionId} ${f.outcome}`)
    .sort();

test("operators list the findings still open across merchants; a settled repair is not one; merchants' keys are refused", async () => {
  expect(await mine()).toEqual(['tx-held release_failed', 'tx-later release_failed']);
  expect((await call(MERCHANT_KEY, 'GET', '/v1/operator/findings')).status).toBe(403);
});

test('a finding resolved by hand, with its reason, leaves the list; unknown ones are 404; a bad body names its field', async () => {
  const ask = {
    merchantId: MERCHANT,
    transactionId: 'tx-held',
    kind: 'authorization_held',
    reason: 'released by Zuz support, ticket 4711',
  };
  expect(await call(OPERATOR, 'POST', '/v1/operator/findings/resolve', ask)).toMatchObject({ status: 200, body: { resolved: true } });
  expect((await call(OPERATOR, 'POST', '/v1/operator/findings/resolve', ask)).status).toBe(200); // idempotent
  expect(await mine()).toEqual(['tx-later release_failed']);
  expect((await call(OPERATOR, 'POST', '/v1/operator/findings/resolve', { ...ask, kind: 'outcome_lost' })).status).toBe(404);
  const bad = await call(OPERATOR, 'POST', '/v1/operator/findings/resolve', { ...ask, reason: '' });
  expect(bad.status).toBe(400);
  expect((bad.body.error as { message: string }).message).toMatch(/^reason:/);
  expect((await call(MERCHANT_KEY, 'POST', '/v1/operator/findings/resolve', ask)).status).toBe(403);
});

test('the runs neither repair nor report a resolved finding; an unresolved one is repaired as before', async () => {
  const voids: string[] = [];
  const zuz = {
    readPayment: async () => ({
      authorization: { kind: 'authorization', operationId: 'a', status: 'Succeed', amount: 800 },
      capture: { kind: 'capture', operationId: 'c', status: 'Failed', amount: 800 },
      void: { kind: 'void', operationId: 'v', status: 'Failed', amount: 800 },
    }),
    createVoid: async (paymentId: string, key: string): Promise<ZuzOperationResult> => {
      voids.push(`${paymentId} ${key}`);
      return { kind: 'void', operationId: 'v2', status: 'Succeed', amount: 800 };
    },
  } as unknown as ZuzClient;
  const reported: string[] = [];
  const reconciler: Reconciler = {
    store,
    refunds: new RefundRecords(db),
    zuz,
    workflowOf: async () => 'closed',
    report: ({ transactionId, discrepancy, outcome }) => reported.push(`${transactionId} ${discrepancy.kind} ${outcome}`),
    unreadable: () => undefined,
  };
  await store.openRun(`run2-${MERCHANT}`, new Date());
  expect(await reconcileTransaction(reconciler, `run2-${MERCHANT}`, HELD)).toBe(0);
  expect(voids).toEqual([]);
  // The control: the same state on a transaction no one resolved is voided again (a new key after the failed void).
  expect(await reconcileTransaction(reconciler, `run2-${MERCHANT}`, LATER)).toBe(1);
  expect(voids).toEqual([`pay-tx-later pos:${LATER}:void:reconciliation:2`]);
  expect(reported).toEqual([`${LATER} authorization_held voided`]);
});

test('a re-drive marks the transaction for the run and starts the reconciliation now, by a workflow; each action is audited', async () => {
  await store.reconcileAgain(LATER, false);
  const redrive = await call(OPERATOR, 'POST', '/v1/operator/findings/redrive', { merchantId: MERCHANT, transactionId: 'tx-later' });
  expect(redrive).toMatchObject({ status: 202, body: { workflowId: `reconciliation-redrive-${LATER}` } });
  expect(started).toEqual([
    ['reconcileTransactions', { taskQueue: 'payments', workflowId: `reconciliation-redrive-${LATER}`, args: [{ periodHours: 1 }] }],
  ]);
  expect((await store.factsOf(LATER))?.reconcileAgain).toBe(true);
  // A second re-drive while the first still runs starts nothing, and says so (it used to answer 202 as if it had).
  redriveRunning = true;
  const again = await call(OPERATOR, 'POST', '/v1/operator/findings/redrive', { merchantId: MERCHANT, transactionId: 'tx-later' });
  redriveRunning = false;
  expect(again).toMatchObject({ status: 409, body: { error: { code: 'redrive_running' } } });
  expect((await call(OPERATOR, 'POST', '/v1/operator/findings/redrive', { merchantId: MERCHANT, transactionId: 'tx-none' })).status).toBe(
    404,
  );

  await new Promise((resolve) => setTimeout(resolve, 200)); // audit entries are written once answered
  const audited = (await call(OPERATOR, 'GET', `/v1/audit-events?merchant=${MERCHANT}&limit=100`)).body.events as Array<{
    action: string;
    subject?: string;
    outcome: number;
  }>;
  expect(audited.map((e) => `${e.action} ${e.subject} ${e.outcome}`)).toEqual(
    expect.arrayContaining([
      `finding.resolve ${HELD} authorization_held 200`,
      `finding.redrive ${LATER} 202`,
      `finding.redrive ${LATER} 409`,
      `finding.redrive ${transactionKey(MERCHANT, 'tx-none')} 404`,
    ]),
  );
});

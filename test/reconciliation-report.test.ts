/**
 * The reconciliation's report is per merchant (issue 31, finding 1): a merchant's key reads its
 * own transactions' findings only, by its own ids; an operator's key (OPERATOR_API_KEYS) reads
 * every merchant's and is refused on the merchant routes. The findings are written through the
 * store the reconciliation writes with, over the API's own database.
 */
import { openDatabase, type Database } from '../src/shared/database';
import { ReconciliationStore } from '../src/reconciliation/store';
import { TransactionRecords } from '../src/transaction/record';
import { transactionKey } from '../src/merchants/model';
import { startInProcessApi, type InProcessApi } from './helpers/in-process-api';

const ACME = 'acme-key-0123456789abcdef';
const GLOBEX = 'globex-key-0123456789abcdef';
const OPERATOR = 'operator-key-0123456789abcdef';
let api: InProcessApi;
let baseUrl: string;
let db: Database;

beforeAll(async () => {
  // Nothing here reaches Temporal: a lazy connection to a port where nothing listens.
  db = await openDatabase({ inMemory: true });
  api = await startInProcessApi({
    db,
    apiKeys: [
      { merchantId: 'acme', key: ACME },
      { merchantId: 'globex', key: GLOBEX },
    ],
    operatorKeys: [OPERATOR],
  });
  baseUrl = api.url;

  // Both merchants use the id "tx-same"; only acme's has a finding.
  const records = new TransactionRecords(db);
  const request = {
    transactionId: 'tx-same',
    customerId: 'cus_1',
    paymentMethodId: 'pm_1',
    amount: 700,
    currency: 'EUR',
    capture: 'auto' as const,
  };
  await records.claim({ ...request, merchantId: 'acme' }, 'fingerprint');
  await records.claim({ ...request, merchantId: 'globex' }, 'fingerprint');
  const store = new ReconciliationStore(db);
  await store.openRun('run-1', new Date(Date.now() - 3600_000));
  await store.recordDiscrepancy(
    'run-1',
    transactionKey('acme', 'tx-same'),
    { kind: 'captured_after_failure', detail: 'Recorded as failed, yet Zuz captured 700', repair: { action: 'refund', amount: 700 } },
    'refunded',
  );
  await store.closeRun('run-1', 2);
});

afterAll(async () => {
  await api.close();
});

type Runs = {
  runs: Array<{ runId: string; checked?: number; discrepancies: Array<{ merchantId?: string; transactionId: string; kind: string }> }>;
};

async function runs(key: string): Promise<{ status: number; body: Runs }> {
  const response = await fetch(`${baseUrl}/v1/reconciliation/runs`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Runs };
}

test("a merchant reads its own findings, by its own id, and not the run's count across merchants", async () => {
  const { status, body } = await runs(ACME);
  expect(status).toBe(200);
  expect(body.runs).toEqual([
    expect.objectContaining({
      runId: 'run-1',
      discrepancies: [expect.objectContaining({ transactionId: 'tx-same', kind: 'captured_after_failure' })],
    }),
  ]);
  expect(body.runs[0].checked).toBeUndefined();
  expect(body.runs[0].discrepancies[0].merchantId).toBeUndefined();
});

test("another merchant sees the run but none of the first merchant's findings, though it uses the same transaction id", async () => {
  const { status, body } = await runs(GLOBEX);
  expect(status).toBe(200);
  expect(body.runs.map((run) => run.runId)).toEqual(['run-1']);
  expect(body.runs[0].discrepancies).toEqual([]);
});

test("an operator reads every merchant's findings, with whose they are", async () => {
  const { status, body } = await runs(OPERATOR);
  expect(status).toBe(200);
  expect(body.runs[0]).toMatchObject({
    checked: 2,
    discrepancies: [{ merchantId: 'acme', transactionId: 'acme/tx-same', kind: 'captured_after_failure' }],
  });
});

test('an operator key acts for no merchant: the transaction routes answer 403 before reading anything', async () => {
  for (const [method, route] of [
    ['GET', '/v1/transactions'],
    ['GET', '/v1/transactions/tx-same'],
    ['POST', '/v1/transactions'],
    ['POST', '/v1/transactions/tx-same/refunds'],
  ]) {
    const response = await fetch(baseUrl + route, {
      method,
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: method === 'POST' ? '{}' : undefined,
    });
    expect({ route, status: response.status }).toEqual({ route, status: 403 });
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  }
});

/**
 * The outcome counters are counted by the finalize step when it writes the outcome, once per
 * transaction: a retried step (the record finalized before) counts nothing more. (Counted in the
 * workflow they were counted twice when the server refused the completing task and it ran again.)
 * PostgreSQL when DATABASE_URL is set (npm test sets it), else the embedded database.
 */
import { randomUUID } from 'node:crypto';
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { openDatabase, type Database } from '../src/shared/database';
import { createDatabaseActivities } from '../src/transaction/activities';
import { TransactionRecords } from '../src/transaction/record';
import type { TransactionRequest, TransactionView } from '../src/transaction/model';

let db: Database;
const counted: string[] = [];

/** A meter that writes down every counter increment as `name{labels} +n`. */
const meter = {
  createCounter: (name: string) => ({
    add: (value: number, tags: MetricTags = {}) => counted.push(`${name}${JSON.stringify(tags)} +${value}`),
  }),
} as unknown as MetricMeter;

beforeAll(async () => {
  db = await openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { inMemory: true });
});

afterAll(async () => {
  await db?.close();
});

async function claimed(): Promise<TransactionRequest> {
  const request: TransactionRequest = {
    transactionId: `om-${randomUUID()}`,
    customerId: 'cus_1',
    paymentMethodId: 'pm_1',
    amount: 1000,
    currency: 'EUR',
    capture: 'auto',
  };
  await new TransactionRecords(db).claim(request, 'fingerprint');
  return request;
}

/** A claimed transaction and the database steps, counting into `meter`; nothing counted yet. */
async function claimedWithSteps() {
  const { finalizeTransaction } = createDatabaseActivities(
    db,
    { maxTransactionsPerHour: 100, maxAmountPerDay: 1e9 },
    undefined,
    () => meter,
  );
  const request = await claimed();
  counted.length = 0;
  return { finalizeTransaction, request };
}

const finalView = (request: TransactionRequest, outcome: Partial<TransactionView>): TransactionView => ({
  transactionId: request.transactionId,
  customerId: request.customerId,
  status: 'succeeded',
  amount: request.amount,
  currency: request.currency,
  capture: 'auto',
  authorizedAmount: 1000,
  capturedAmount: 1000,
  zuz: { paymentId: 'pay_1' },
  steps: [],
  ...outcome,
});

test('finalizing counts the outcome once; the same step again counts nothing', async () => {
  const { finalizeTransaction, request } = await claimedWithSteps();
  await finalizeTransaction(finalView(request, {}));
  await finalizeTransaction(finalView(request, {}));
  expect(counted).toEqual(['pos_transactions_finished{"status":"succeeded","failure_code":"none"} +1']);
});

test('a capture that failed and whose release Zuz refused: counted once, with the release and its alert', async () => {
  const { finalizeTransaction, request } = await claimedWithSteps();
  const failed = finalView(request, {
    status: 'failed',
    capturedAmount: 0,
    failure: { code: 'capture_failed', message: 'Zuz failed the capture' },
    release: 'release_failed',
  });
  for (let attempt = 0; attempt < 3; attempt++) await finalizeTransaction(failed);
  expect(counted).toEqual([
    'pos_transactions_finished{"status":"failed","failure_code":"capture_failed"} +1',
    'pos_releases{"outcome":"release_failed"} +1',
    'pos_release_failed{} +1',
  ]);
});

/**
 * Issue 38, finding 2: every filter of GET /v1/transactions is answered from an index, so the
 * worst list of one merchant (a filter nothing matches) reads a handful of rows, not every row
 * the merchant has with a subquery per row. Measured with EXPLAIN ANALYZE on the list's own
 * query (as TransactionRecords.listPage sends it) over a merchant with 3,000 transactions:
 * the rows read and thrown away must stay far below the merchant's count. The latency this buys
 * on a real PostgreSQL with 100,000 rows is tools/bench/list-isolation.ts (docs/security.md).
 *
 * Also: the `refunded` filter follows the refunds as they are recorded (a trigger keeps the
 * transaction's flag), before and after the migration.
 */
import { openDatabase, type Database } from '../src/shared/database';
import { TransactionRecords } from '../src/transaction/record';

const ROWS = 3000;
let db: Database;
let records: TransactionRecords;

beforeAll(async () => {
  db = await openDatabase({ inMemory: true });
  records = new TransactionRecords(db);
  // One busy merchant; every amount 100..999, every customer cus_0..cus_49, every transaction succeeded, none refunded.
  await db.query(
    `INSERT INTO transactions (transaction_id, request_fingerprint, customer_id, payment_method_id, amount, currency, capture_mode, status, merchant_id, finalized_at, created_at)
     SELECT 'busy/tx-' || i, 'f', 'cus_' || (i % 50), 'pm', 100 + (i % 900), 'EUR', 'auto', 'succeeded', 'busy', now(), now() - (i || ' seconds')::interval
       FROM generate_series(1, ${ROWS}) AS i`,
  );
  await db.query(
    `INSERT INTO transactions (transaction_id, request_fingerprint, customer_id, payment_method_id, amount, currency, capture_mode, status, merchant_id, finalized_at)
     SELECT 'other/tx-' || i, 'f', 'cus_1', 'pm', 100, 'EUR', 'auto', 'succeeded', 'other', now() FROM generate_series(1, 20) AS i`,
  );
  await db.query('ANALYZE transactions');
  await db.query('ANALYZE refunds');
}, 60_000);

afterAll(() => db.close());

/** The query listPage sends for `filter`, run under EXPLAIN ANALYZE: the rows every plan node read, kept or thrown away. */
async function rowsRead(filter: Partial<Parameters<TransactionRecords['listPage']>[0]>): Promise<number> {
  let sent: { sql: string; params?: unknown[] } | undefined;
  const spy = new TransactionRecords({
    ...db,
    query: async (sql: string, params?: unknown[]) => {
      sent = { sql, params };
      return db.query(sql, params);
    },
  });
  await spy.listPage({ merchantId: 'busy', limit: 100, ...filter });
  if (!sent) throw new Error('listPage sent no query');
  const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sent.sql}`, sent.params);
  const plan = rows[0]['QUERY PLAN'];
  const root = (typeof plan === 'string' ? JSON.parse(plan) : plan) as Array<{ Plan: PlanNode }>;
  return read(root[0].Plan);
}

interface PlanNode {
  'Node Type': string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows produced or discarded by the scans of a plan (loops counted). */
function read(node: PlanNode): number {
  const loops = node['Actual Loops'] ?? 1;
  const own = /Scan/.test(node['Node Type'])
    ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * loops
    : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + read(child), 0);
}

test.each([
  ['refunded=true (the merchant has no refund)', { refunded: true }],
  ['minAmount above every amount', { minAmount: 1_000_000 }],
  ['maxAmount below every amount', { maxAmount: 50 }],
  ['an amount range nothing falls in', { minAmount: 10_000, maxAmount: 20_000 }],
  ['a customer the merchant never had', { customerId: 'cus_unknown' }],
  ['a terminal status no transaction has', { terminalStatus: 'failed' as const }],
  ['created before the first transaction', { createdTo: '2000-01-01T00:00:00Z' }],
  ['created after the last transaction', { createdFrom: '2100-01-01T00:00:00Z' }],
])('a list nothing matches reads a few rows, not the merchant’s %s', async (_name, filter) => {
  expect(await rowsRead(filter)).toBeLessThan(200);
});

test('a list that matches reads about a page', async () => {
  expect(await rowsRead({})).toBeLessThan(300);
  expect(await rowsRead({ customerId: 'cus_7' })).toBeLessThan(300);
});

test('refunded follows the refunds as they are recorded and decided', async () => {
  const refunded = async () => (await records.listPage({ merchantId: 'other', refunded: true, limit: 100 })).map((r) => r.transactionId);
  const notRefunded = async () => (await records.listPage({ merchantId: 'other', refunded: false, limit: 100 })).length;
  expect(await refunded()).toEqual([]);
  await db.query(
    `INSERT INTO refunds (transaction_id, refund_id, request_fingerprint, amount, reason, status) VALUES ('other/tx-3', 'r1', 'f', 10, 'x', 'pending')`,
  );
  expect(await refunded()).toEqual([]); // pending is not refunded
  await db.query(`UPDATE refunds SET status = 'succeeded' WHERE transaction_id = 'other/tx-3' AND refund_id = 'r1'`);
  expect(await refunded()).toEqual(['tx-3']);
  expect(await notRefunded()).toBe(19);
  // A second refund of the same transaction failing changes nothing; one recorded succeeded at once counts.
  await db.query(
    `INSERT INTO refunds (transaction_id, refund_id, request_fingerprint, amount, reason, status) VALUES ('other/tx-3', 'r2', 'f', 10, 'x', 'failed'),
            ('other/tx-5', 'r1', 'f', 10, 'x', 'succeeded')`,
  );
  expect((await refunded()).sort()).toEqual(['tx-3', 'tx-5']);
});

// On a real PostgreSQL (DATABASE_URL; bash scripts/start-postgres.sh): PGlite has no statement_timeout to speak of.
(process.env.DATABASE_URL ? test : test.skip)('statement_timeout cancels a longer statement, and the pool goes on serving', async () => {
  const pg = await openDatabase({ url: process.env.DATABASE_URL!, poolMax: 1, statementTimeoutMs: 300 });
  try {
    const started = Date.now();
    await expect(pg.query('SELECT pg_sleep(3)')).rejects.toThrow(/statement timeout/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await pg.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
  } finally {
    await pg.close();
  }
});

/**
 * The schema's migrations on a database made before migrations were numbered: applied once, in
 * order, and transactions recorded then are bound to a run, so that a repeat of their request
 * after Temporal has forgotten the run can never start a second one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../src/shared/database';
import { MIGRATIONS } from '../src/shared/migrations';
import { TransactionRecords } from '../src/transaction/record';
import { requestFingerprint } from '../src/transaction/request-fingerprint';
import type { TransactionRequest } from '../src/transaction/model';

const request: TransactionRequest = {
  transactionId: 'tx-old',
  customerId: 'cus_1',
  paymentMethodId: 'pm_1',
  amount: 500,
  currency: 'EUR',
  capture: 'auto',
};

test('an old database is migrated once; its transactions count as processed by a run', async () => {
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'pos-migrations-')), 'pglite');
  const old = new PGlite(dataDir);
  for (const statement of MIGRATIONS[0].statements) await old.query(statement);
  await old.query(
    `INSERT INTO transactions (transaction_id, request_fingerprint, customer_id, payment_method_id, amount, currency, capture_mode, status)
     VALUES ($1, $2, 'cus_1', 'pm_1', 500, 'EUR', 'auto', 'succeeded')`,
    [request.transactionId, requestFingerprint(request)],
  );
  await old.close();

  const db = await openDatabase({ dataDir });
  try {
    const { rows } = await db.query<{ version: number }>(`SELECT version FROM schema_migrations ORDER BY version`);
    expect(rows.map((row) => Number(row.version))).toEqual(MIGRATIONS.map((migration) => migration.version));
    const records = new TransactionRecords(db);
    // The same request again: known and bound, so the API answers it and starts nothing.
    const claim = await records.claim(request, requestFingerprint(request));
    expect(claim).toMatchObject({ kind: 'known', fingerprint: requestFingerprint(request) });
    expect(claim.kind === 'known' && claim.runId).toBeTruthy();
    // A new run cannot take it; the API addresses whichever run the workflow id has.
    expect(await records.bindRun(request.transactionId, 'a-new-run')).toBe(false);
    expect(await records.runOf(request.transactionId)).toEqual({ known: true, runId: undefined });
  } finally {
    await db.close();
  }
  // Opening again applies nothing twice.
  const again = await openDatabase({ dataDir });
  expect((await again.query(`SELECT count(*)::int AS n FROM schema_migrations`)).rows).toEqual([{ n: MIGRATIONS.length }]);
  await again.close();
  // Three embedded databases opened from disk, each applying the schema: 15-25 s on an idle
  // machine, past the default 60 s on a loaded one (a CI run beside a simulation timed out here).
}, 180_000);

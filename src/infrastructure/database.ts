/**
 * The application database: a real PostgreSQL when DATABASE_URL is set, else an embedded
 * PostgreSQL (PGlite, persisted in a folder). Both speak the same SQL through one tiny
 * interface, so every query in the service runs unchanged on either.
 */
import { mkdirSync } from 'node:fs';
import { Pool } from 'pg';

export interface Database {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  close(): Promise<void>;
}

/** `poolMax`: connections per process for PostgreSQL (default 10, `DATABASE_POOL_MAX`). */
export type DatabaseTarget = { url: string; poolMax?: number } | { dataDir: string } | { inMemory: true };

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  const db = 'url' in target ? openPostgres(target.url, target.poolMax ?? 10) : await openPglite('dataDir' in target ? target.dataDir : undefined);
  await migrate(db);
  return db;
}

function openPostgres(url: string, max: number): Database {
  const pool = new Pool({ connectionString: url, max });
  // An idle client's error (e.g. the server restarting) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return {
    query: async (sql, params) => pool.query(sql, params as unknown[]) as never,
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = new PGlite(dataDir);
  await pg.waitReady;
  return {
    query: async (sql, params) => pg.query(sql, params) as never,
    close: () => pg.close(),
  };
}

/** The schema, created idempotently at start (several processes may race here; IF NOT EXISTS and a lock make that safe). */
async function migrate(db: Database): Promise<void> {
  await db.query(`SELECT pg_advisory_lock(724001)`);
  try {
    for (const statement of SCHEMA) await db.query(statement);
  } finally {
    await db.query(`SELECT pg_advisory_unlock(724001)`);
  }
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS accounts (
     customer_id text PRIMARY KEY,
     account_id  text NOT NULL UNIQUE,
     created_at  timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS transactions (
     transaction_id     text PRIMARY KEY,
     request_fingerprint text NOT NULL,
     customer_id        text NOT NULL,
     payment_method_id  text NOT NULL,
     amount             bigint NOT NULL CHECK (amount > 0),
     currency           char(3) NOT NULL,
     capture_mode       text NOT NULL,
     description        text,
     account_id         text,
     status             text NOT NULL,
     authorized_amount  bigint NOT NULL DEFAULT 0,
     captured_amount    bigint NOT NULL DEFAULT 0,
     zuz_payment_id     text,
     failure_code       text,
     failure_message    text,
     created_at         timestamptz NOT NULL DEFAULT now(),
     updated_at         timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX IF NOT EXISTS transactions_customer_idx ON transactions (customer_id, created_at DESC)`,
  `CREATE INDEX IF NOT EXISTS transactions_status_idx ON transactions (status, created_at DESC)`,
];

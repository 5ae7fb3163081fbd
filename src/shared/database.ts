/**
 * The application database: a real PostgreSQL when DATABASE_URL is set, else an embedded
 * PostgreSQL (PGlite, persisted in a folder). Both speak the same SQL through one tiny
 * interface, so every query in the service runs unchanged on either.
 */
import { mkdirSync } from 'node:fs';
import { Pool } from 'pg';
import { MIGRATIONS } from './migrations';

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

export interface Database extends Queryable {
  /** Runs `work` on one connection (for locks and transactions that must not hop between pooled connections). */
  session<T>(work: (connection: Queryable) => Promise<T>): Promise<T>;
  /** Runs `work` in one database transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(work: (connection: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * `poolMax`: connections per process for PostgreSQL (default 10, `DATABASE_POOL_MAX`);
 * `statementTimeoutMs`: PostgreSQL's statement_timeout on every pooled connection (0 or unset: none).
 */
export type DatabaseTarget = { url: string; poolMax?: number; statementTimeoutMs?: number } | { dataDir: string } | { inMemory: true };

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  const db =
    'url' in target
      ? openPostgres(target.url, target.poolMax ?? 10, target.statementTimeoutMs ?? 0)
      : await openPglite('dataDir' in target ? target.dataDir : undefined);
  await migrate(db);
  return db;
}

function openPostgres(url: string, max: number, statementTimeoutMs: number): Database {
  // Sent as a start-up parameter of each connection: the server cancels a longer statement and the connection is free again.
  const pool = new Pool({ connectionString: url, max, ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}) });
  // An idle client's error (e.g. the server restarting) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return {
    query: async (sql, params) => (await pool.query(sql, params as unknown[])) as never,
    session: async (work) => {
      const connection = await pool.connect();
      try {
        return await work({ query: async (sql, params) => (await connection.query(sql, params as unknown[])) as never });
      } finally {
        connection.release();
      }
    },
    transaction: async (work) => {
      const connection = await pool.connect();
      try {
        await connection.query('BEGIN');
        const result = await work({ query: async (sql, params) => (await connection.query(sql, params as unknown[])) as never });
        await connection.query('COMMIT');
        return result;
      } catch (err) {
        await connection.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        connection.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = new PGlite(dataDir);
  await pg.waitReady;
  const query: Queryable['query'] = async (sql, params) => (await pg.query(sql, params)) as never;
  // PGlite is one connection already; its own transaction() holds every other query back until it ends.
  return {
    query,
    session: (work) => work({ query }),
    transaction: (work) => pg.transaction((tx) => work({ query: async (sql, params) => (await tx.query(sql, params)) as never })),
    close: () => pg.close(),
  };
}

/**
 * Applies the migrations not yet applied, each in its own transaction, under an advisory lock
 * held on one connection for the whole run (several processes may start at once; a lock taken
 * and released through a pool could be released on another connection).
 */
async function migrate(db: Database): Promise<void> {
  await db.session(async (session) => {
    await session.query(`SELECT pg_advisory_lock(724001)`);
    // A migration (an index on a large table) may rightly run longer than the pool's statement_timeout.
    await session.query(`SET statement_timeout = 0`);
    try {
      await session.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
         version    integer PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`);
      const { rows } = await session.query<{ version: number }>(`SELECT version FROM schema_migrations`);
      const applied = new Set(rows.map((row) => Number(row.version)));
      for (const migration of MIGRATIONS.filter((m) => !applied.has(m.version))) {
        await session.query('BEGIN');
        try {
          for (const statement of migration.statements) await session.query(statement);
          await session.query(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
          await session.query('COMMIT');
        } catch (err) {
          await session.query('ROLLBACK');
          throw new Error(`Migration ${migration.version} (${migration.name}) failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    } finally {
      await session.query(`RESET statement_timeout`);
      await session.query(`SELECT pg_advisory_unlock(724001)`);
    }
  });
}

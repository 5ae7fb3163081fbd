/** The database: PostgreSQL (or the sandbox's embedded one), its pool and its statement timeout. */
import path from 'node:path';
import { z } from 'zod';
import ms, { type StringValue } from 'ms';
import { parse, nonEmpty, positiveInt, duration, type Env } from './env';

const databaseSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  POS_DATA_DIR: nonEmpty.default('.data'),
});

export type DatabaseConfig = { url: string } | { dataDir: string };

/** A real PostgreSQL when DATABASE_URL is set; otherwise the embedded one under POS_DATA_DIR (the sandbox only: `assertSafeForProduction` requires DATABASE_URL). */
export function loadDatabaseConfig(env: Env = process.env): DatabaseConfig {
  const c = parse(databaseSchema, env);
  return c.DATABASE_URL ? { url: c.DATABASE_URL } : { dataDir: path.resolve(c.POS_DATA_DIR, 'pglite') };
}

const poolSchema = z.object({
  DATABASE_POOL_MAX: positiveInt.default(10),
});

/** How many PostgreSQL connections one worker process may hold (docs/BENCHMARKS.md: what the size changes). */
export function loadDatabasePoolSize(env: Env = process.env): number {
  return parse(poolSchema, env).DATABASE_POOL_MAX;
}

const statementTimeoutSchema = z.object({
  DATABASE_STATEMENT_TIMEOUT: z.union([z.literal('off'), duration], { error: 'must be a duration such as 5s, or off' }).default('5s'),
});

/**
 * PostgreSQL's `statement_timeout` for the API's pool, in ms (0: none): a statement running longer
 * is cancelled (the request fails, the connection is freed) so that no query can hold a pooled
 * connection for long. DATABASE_STATEMENT_TIMEOUT, default 5s; `off` for none.
 */
export function loadDatabaseStatementTimeout(env: Env = process.env): number {
  const value = parse(statementTimeoutSchema, env).DATABASE_STATEMENT_TIMEOUT;
  return value === 'off' ? 0 : ms(value as StringValue);
}

/**
 * Database work per transaction: PostgreSQL's own count of committed and rolled-back
 * transactions in the service's database (pg_stat_database). The service sends every query
 * outside an explicit transaction, so each query is one. An idle backend flushes its counters
 * within 10 s (PostgreSQL 15+), so a reading waits that long; the reading itself adds one,
 * which is subtracted.
 */
import { Client } from 'pg';
import { sleep } from '../chaos/sleep';

export class QueryCounter {
  private constructor(
    private readonly client: Client,
    private readonly flushMs: number,
  ) {}

  /** `flushMs`: how long to let the server publish its counters before each reading (11 s for exact ones). */
  static async open(url: string, flushMs: number): Promise<QueryCounter> {
    const client = new Client({ connectionString: url });
    await client.connect();
    return new QueryCounter(client, flushMs);
  }

  /** Statements run in the database so far (after the statistics caught up). */
  async read(): Promise<number> {
    await sleep(this.flushMs);
    const { rows } = await this.client.query<{ n: string }>(
      `SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Statements between two readings, without the second reading itself. */
  static between(before: number, after: number): number {
    return after - before - 1;
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

export async function postgresVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${rows[0]?.server_version ?? 'unknown'}`;
  } finally {
    await client.end();
  }
}

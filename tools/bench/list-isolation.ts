/**
 * `node build/tools/bench/list-isolation.js <postgres-url>`: whether one merchant's worst lists
 * slow another merchant down (issue 38, finding 2). On a real PostgreSQL (a database of its own,
 * made and dropped here) one merchant gets 100,000 transactions and another 1,000; the API (the
 * service's own app, pool and statement_timeout as production sets them) then serves the quiet
 * merchant's `GET /v1/transactions?limit=20`, one request after another:
 *   - idle: nothing else running;
 *   - under load: meanwhile the busy merchant fires its worst lists (filters nothing matches,
 *     `refunded=true`, amount bounds, an unknown customer, a terminal status none has, and
 *     combinations) from CLIENTS concurrent clients in a process of their own, each keeping one
 *     list in flight and waiting the Retry-After of a 429, as the API asks.
 * Prints the quiet merchant's p50/p95 in both phases, their ratio, and what the busy merchant got
 * (answers, 429s from the per-merchant concurrency bound). All the lists are of the record
 * (finalized transactions), so Temporal is never asked: the client is a lazy one to nowhere.
 *
 * Options (environment): ROWS (100000), SECONDS per phase (15), CLIENTS of the busy merchant (16),
 * LIST_CONCURRENCY (API_LIST_CONCURRENCY_PER_MERCHANT, default the API's), POOL (10).
 */
import { fork } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as PgClient } from 'pg';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { openDatabase } from '../../src/shared/database';

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const ROWS = env('ROWS', 100_000);
const SECONDS = env('SECONDS', 15);
const CLIENTS = env('CLIENTS', 16);
const POOL = env('POOL', 10);
const LIST_CONCURRENCY = process.env.LIST_CONCURRENCY ? Number(process.env.LIST_CONCURRENCY) : undefined;
const BUSY_KEY = 'busy-key-0123456789';
const QUIET_KEY = 'quiet-key-0123456789';

/** The busy merchant's lists: each a filter nothing (or almost nothing) of its 100,000 rows matches. */
const WORST_LISTS = [
  'refunded=true&limit=100',
  'minAmount=100000000&limit=100',
  'maxAmount=1&limit=100',
  'minAmount=5000000&maxAmount=6000000&limit=100',
  'customerId=cus_nobody&limit=100',
  'status=failed&limit=100',
  'createdTo=2000-01-01T00:00:00Z&limit=100',
  'refunded=true&minAmount=500&customerId=cus_7&limit=100',
  'refunded=false&minAmount=100000000&limit=100',
  'customerId=cus_3&minAmount=100000000&limit=100',
  'status=succeeded&refunded=true&limit=100',
];

async function main(): Promise<void> {
  const adminUrl = process.argv[2] ?? process.env.DATABASE_URL;
  if (!adminUrl)
    throw new Error('usage: node build/tools/bench/list-isolation.js <postgres-url> (bash scripts/start-postgres.sh prints one)');
  const name = `pos_bench_list_${process.pid}`;
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // Seeded without a statement_timeout (100,000 rows and their indexes take longer than a request may).
  const seed = await openDatabase({ url: url.toString(), poolMax: 1 });
  const db = await openDatabase({ url: url.toString(), poolMax: POOL, statementTimeoutMs: 5000 });
  let server: Server | undefined;
  try {
    const started = Date.now();
    await seed.query(
      `INSERT INTO transactions (transaction_id, request_fingerprint, customer_id, payment_method_id, amount, currency, capture_mode, status, merchant_id, finalized_at, created_at)
       SELECT 'busy/tx-' || i, 'f', 'cus_' || (i % 50), 'pm', 100 + (i % 900), 'EUR', 'auto', 'succeeded', 'busy', now(), now() - (i || ' seconds')::interval
         FROM generate_series(1, $1::int) AS i`,
      [ROWS],
    );
    await seed.query(
      `INSERT INTO transactions (transaction_id, request_fingerprint, customer_id, payment_method_id, amount, currency, capture_mode, status, merchant_id, finalized_at, created_at)
       SELECT 'quiet/tx-' || i, 'f', 'cus_' || (i % 10), 'pm', 100 + i, 'EUR', 'auto', 'succeeded', 'quiet', now(), now() - (i || ' seconds')::interval
         FROM generate_series(1, 1000) AS i`,
    );
    await seed.query('ANALYZE');
    await seed.close();
    console.log(`seeded ${ROWS} + 1000 transactions in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const app = createApp({
      client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 100 }) }),
      db,
      taskQueue: 'unused',
      config: {
        apiKeys: [
          { merchantId: 'busy', key: BUSY_KEY },
          { merchantId: 'quiet', key: QUIET_KEY },
        ],
        webhook: { privateKey: 'bench-zuz-key', maxAgeMs: 60_000 },
        listConcurrencyPerMerchant: LIST_CONCURRENCY,
      },
      log: pino({ level: 'silent' }),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/transactions`;
    const get = async (query: string, key: string) => {
      const response = await fetch(`${base}?${query}`, { headers: { authorization: `Bearer ${key}` } });
      await response.arrayBuffer();
      return response.status;
    };

    // Each worst list once, alone: what it costs by itself.
    for (const query of WORST_LISTS) {
      const t = performance.now();
      const status = await get(query, BUSY_KEY);
      console.log(`  alone ${(performance.now() - t).toFixed(1).padStart(7)} ms  ${status}  ${query}`);
    }

    const quietLatencies = async (): Promise<number[]> => {
      const until = Date.now() + SECONDS * 1000;
      const latencies: number[] = [];
      while (Date.now() < until) {
        const t = performance.now();
        const status = await get('limit=20', QUIET_KEY);
        if (status !== 200) throw new Error(`the quiet merchant's list answered ${status}`);
        latencies.push(performance.now() - t);
      }
      return latencies;
    };

    for (let i = 0; i < 50; i++) await get('limit=20', QUIET_KEY); // warm-up
    const idle = await quietLatencies();

    // The busy merchant's clients run in a process of their own, as they would on other machines: the
    // server's event loop serves them, it does not run them.
    const attacker = fork(__filename, ['--attacker', base], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const loaded = await quietLatencies();
    const busy = await new Promise<{ answered: number; refused: number; other: number }>((resolve) => {
      attacker.once('message', (message) => resolve(message as { answered: number; refused: number; other: number }));
      attacker.send('stop');
    });

    const idleStats = stats(idle);
    const loadedStats = stats(loaded);
    console.log('');
    console.log(`| quiet merchant GET /v1/transactions?limit=20 | requests | p50 ms | p95 ms | p99 ms |`);
    console.log(`|---|---:|---:|---:|---:|`);
    console.log(`| idle | ${idle.length} | ${f(idleStats.p50)} | ${f(idleStats.p95)} | ${f(idleStats.p99)} |`);
    console.log(
      `| busy merchant's worst lists (${CLIENTS} clients) | ${loaded.length} | ${f(loadedStats.p50)} | ${f(loadedStats.p95)} | ${f(loadedStats.p99)} |`,
    );
    console.log(
      `| ratio | | ${(loadedStats.p50 / idleStats.p50).toFixed(2)}x | ${(loadedStats.p95 / idleStats.p95).toFixed(2)}x | ${(loadedStats.p99 / idleStats.p99).toFixed(2)}x |`,
    );
    console.log('');
    console.log(
      `busy merchant over ${SECONDS} s: ${busy.answered} lists answered (${(busy.answered / SECONDS).toFixed(0)}/s), ${busy.refused} refused 429 (each then waiting its Retry-After), ${busy.other} other`,
    );
  } finally {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await seed.close().catch(() => undefined);
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
}

function stats(values: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

const f = (ms: number) => ms.toFixed(2);

/**
 * The busy merchant: CLIENTS loops, each with one worst list in flight at all times; a 429 (the
 * per-merchant bound or the per-key rate limit) waits its Retry-After, as the API asks.
 */
async function attack(base: string): Promise<void> {
  const counts = { answered: 0, refused: 0, other: 0 };
  let stop = false;
  process.once('message', () => (stop = true));
  const loops = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let n = client; !stop; n++) {
      const response = await fetch(`${base}?${WORST_LISTS[n % WORST_LISTS.length]}`, { headers: { authorization: `Bearer ${BUSY_KEY}` } });
      await response.arrayBuffer();
      if (response.status === 200) counts.answered++;
      else if (response.status === 429) {
        counts.refused++;
        await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000));
      } else counts.other++;
    }
  });
  await Promise.all(loops);
  process.send!(counts);
  process.disconnect();
}

(process.argv[2] === '--attacker' ? attack(process.argv[3]) : main()).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

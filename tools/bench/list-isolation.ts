/**
 * `node build/tools/bench/list-isolation.js <postgres-url> [<baseline build>]`: whether one
 * merchant's worst lists slow another merchant down (issue 38, finding 2). On a real PostgreSQL (a
 * database of its own, made and dropped here) one merchant gets 100,000 transactions and another
 * 1,000. The API (the service's own app, pool and statement_timeout as production sets them) runs
 * in a process of its own; the quiet merchant's back office asks `GET /v1/transactions?limit=20`
 * QUIET_RATE times a second, one request after another, from this process:
 *   - idle: nothing else running;
 *   - loaded: meanwhile the busy merchant fires its worst lists (filters nothing matches,
 *     `refunded=true`, amount bounds, an unknown customer, a terminal status none has, and
 *     combinations) from CLIENTS concurrent clients in a third process, each keeping one list in
 *     flight and waiting the Retry-After of a 429, as the API asks.
 * Idle and loaded windows alternate (WINDOW seconds each, ROUNDS times), so a machine whose own
 * load drifts weighs on both alike. With a baseline (the root of another build of this repository,
 * holding src/api/app.js: the code before a change), an API of each build runs side by side on
 * the same database and the windows alternate between them too, in turn first: before and after
 * measured in one run. Prints, per build: the quiet merchant's p50/p95/p99 idle and loaded and
 * their ratio, what the busy merchant got (answers, 429s), and what the quiet requests could have
 * waited on: the API process's CPU and event-loop delay, PostgreSQL's CPU (its backends' /proc,
 * when the server is local), the database's own time for a list (EXPLAIN ANALYZE).
 * All the lists are of the record (finalized transactions), so Temporal is never asked.
 *
 * Options (environment): ROWS (100000), ROUNDS (8), WINDOW seconds (3), CLIENTS of the busy
 * merchant (16), QUIET_RATE lists a second (8), LIST_CONCURRENCY (API_LIST_CONCURRENCY_PER_MERCHANT,
 * default the API's), POOL (10).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { LIST_TRANSACTIONS_SQL } from '../../src/transaction/record';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client as PgClient } from 'pg';

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const ROWS = env('ROWS', 100_000);
const ROUNDS = env('ROUNDS', 8);
const WINDOW_MS = env('WINDOW', 3) * 1000;
const CLIENTS = env('CLIENTS', 16);
const QUIET_RATE = env('QUIET_RATE', 8);
const POOL = env('POOL', 10);
const LIST_CONCURRENCY = process.env.LIST_CONCURRENCY ? Number(process.env.LIST_CONCURRENCY) : undefined;
/** After a switch, before a window counts: the busy merchant's lists in flight end, or start. */
const SETTLE_MS = 500;
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

/** What an API process says of itself over a window. */
interface ServerSample {
  cpuMs: number;
  loopDelayP50: number;
  loopDelayP99: number;
}

interface Api {
  name: string;
  base: string;
  process: ChildProcess;
}

interface Phase {
  latencies: number[];
  ms: number;
  serverCpuMs: number;
  postgresCpuMs: number;
  loopDelays: number[];
  busy: Record<string, number>;
}

async function main(): Promise<void> {
  const adminUrl = process.argv[2] ?? process.env.DATABASE_URL;
  if (!adminUrl)
    throw new Error(
      'usage: node build/tools/bench/list-isolation.js <postgres-url> [<baseline build root>] (bash scripts/start-postgres.sh prints one)',
    );
  const baseline = process.argv[3];
  const name = `pos_bench_list_${process.pid}`;
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const apis: Api[] = [];
  let attacker: ChildProcess | undefined;
  const observer = new PgClient({ connectionString: url.toString() });
  try {
    // The schema, made by this build's migrations (a baseline's API finds it applied).
    const { openDatabase } = await import('../../src/shared/database');
    const seed = await openDatabase({ url: url.toString(), poolMax: 1 });
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
    await observer.connect();

    apis.push(await startApi('this build', resolvePath(__dirname, '../..'), url.toString()));
    if (baseline) apis.push(await startApi('baseline', resolvePath(baseline), url.toString()));
    const get = async (api: Api, query: string, key: string) => {
      const response = await fetch(`${api.base}?${query}`, { headers: { authorization: `Bearer ${key}` } });
      await response.arrayBuffer();
      return response.status;
    };

    // Each worst list once, alone (spaced, so no pace holds one back), and what the database spends on it.
    console.log(`each worst list alone (${apis[0].name}): HTTP round trip, then the database's own time (EXPLAIN ANALYZE, warm)`);
    for (const query of WORST_LISTS) {
      await get(apis[0], query, BUSY_KEY);
      await sleep(150);
      const t = performance.now();
      const status = await get(apis[0], query, BUSY_KEY);
      const http = performance.now() - t;
      await sleep(150);
      console.log(`  ${http.toFixed(1).padStart(7)} ms  ${status}  db ${(await databaseTime(observer, query)).padEnd(28)} ${query}`);
    }

    attacker = fork(__filename, ['--attacker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const phases = new Map<string, Phase>();
    const phase = (key: string): Phase => {
      let found = phases.get(key);
      if (!found) phases.set(key, (found = { latencies: [], ms: 0, serverCpuMs: 0, postgresCpuMs: 0, loopDelays: [], busy: {} }));
      return found;
    };
    for (const api of apis) for (let i = 0; i < 20; i++) await get(api, 'limit=20', QUIET_KEY); // warm-up

    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? apis : [...apis].reverse();
      const loads = round % 4 < 2 ? (['idle', 'loaded'] as const) : (['loaded', 'idle'] as const);
      for (const api of order) {
        for (const load of loads) {
          attacker.send(load === 'loaded' ? { go: api.base } : { pause: true });
          await sleep(SETTLE_MS);
          const before = await busyCounts(attacker);
          const into = phase(`${api.name}|${load}`);
          await askServer(api, 'reset');
          const postgresBefore = await postgresCpu(observer);
          const windowStart = Date.now();
          const until = windowStart + WINDOW_MS;
          // The quiet merchant's back office: QUIET_RATE lists a second, one at a time.
          for (let next = windowStart; Date.now() < until;) {
            await sleep(next - Date.now());
            next += 1000 / QUIET_RATE;
            const t = performance.now();
            const status = await get(api, 'limit=20', QUIET_KEY);
            if (status !== 200) throw new Error(`the quiet merchant's list answered ${status} (${api.name})`);
            into.latencies.push(performance.now() - t);
          }
          into.ms += Date.now() - windowStart;
          const sample = await askServer(api, 'sample');
          into.serverCpuMs += sample.cpuMs;
          into.loopDelays.push(sample.loopDelayP50, sample.loopDelayP99);
          const postgresAfter = await postgresCpu(observer);
          if (postgresBefore && postgresAfter)
            for (const [pid, ms] of postgresAfter) into.postgresCpuMs += ms - (postgresBefore.get(pid) ?? 0);
          const after = await busyCounts(attacker);
          for (const [outcome, count] of Object.entries(after))
            into.busy[outcome] = (into.busy[outcome] ?? 0) + count - (before[outcome] ?? 0);
        }
      }
    }
    attacker.send({ stop: true });

    console.log('');
    console.log(
      `quiet merchant GET /v1/transactions?limit=20 at ${QUIET_RATE}/s; busy merchant's worst lists from ${CLIENTS} clients; ` +
        `${ROUNDS} rounds of ${WINDOW_MS / 1000} s windows, alternating`,
    );
    console.log('');
    console.log(
      `| build | window | requests | p50 ms | p95 ms | p99 ms | busy merchant /s (200 / 429) | API CPU | API loop delay p50/p99 ms | PostgreSQL CPU |`,
    );
    console.log(`|---|---|---:|---:|---:|---:|---|---:|---|---:|`);
    const ratios: string[] = [];
    for (const api of apis) {
      const rows = (['idle', 'loaded'] as const).map((load) => ({ load, p: phase(`${api.name}|${load}`) }));
      for (const { load, p } of rows) {
        const s = stats(p.latencies);
        const perSecond = (outcome: string) => ((p.busy[outcome] ?? 0) / (p.ms / 1000)).toFixed(1);
        const delays = p.loopDelays;
        const mean = (odd: boolean) => average(delays.filter((_, i) => i % 2 === (odd ? 1 : 0)));
        console.log(
          `| ${api.name} | ${load} | ${p.latencies.length} | ${f(s.p50)} | ${f(s.p95)} | ${f(s.p99)} | ${perSecond('200')} / ${perSecond('429')} | ` +
            `${percent(p.serverCpuMs, p.ms)} | ${mean(false).toFixed(1)} / ${mean(true).toFixed(1)} | ${p.postgresCpuMs ? percent(p.postgresCpuMs, p.ms) : 'n/a'} |`,
        );
      }
      const [idle, loaded] = rows.map((row) => stats(row.p.latencies));
      ratios.push(
        `${api.name}: loaded/idle p50 ${(loaded.p50 / idle.p50).toFixed(2)}x, p95 ${(loaded.p95 / idle.p95).toFixed(2)}x, p99 ${(loaded.p99 / idle.p99).toFixed(2)}x`,
      );
    }
    console.log('');
    for (const line of ratios) console.log(line);
  } finally {
    attacker?.kill();
    for (const api of apis) api.process.kill();
    await observer.end().catch(() => undefined);
    await sleep(200);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** An API process of the build at `root` (this repository's build layout), over the bench's database. */
async function startApi(name: string, root: string, databaseUrl: string): Promise<Api> {
  const child = fork(__filename, ['--serve', root, databaseUrl], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the ${name} API exited (${code}) before listening`)));
  });
  return { name, base: `http://127.0.0.1:${port}/v1/transactions`, process: child };
}

function askServer(api: Api, what: 'reset'): Promise<void>;
function askServer(api: Api, what: 'sample'): Promise<ServerSample>;
function askServer(api: Api, what: 'reset' | 'sample'): Promise<ServerSample | void> {
  return new Promise((resolve) => {
    api.process.once('message', (message) => resolve(message as ServerSample));
    api.process.send(what);
  });
}

function busyCounts(attacker: ChildProcess): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    const listener = (message: unknown) => {
      const counts = (message as { counts?: Record<string, number> }).counts;
      if (!counts) return;
      attacker.off('message', listener);
      resolve(counts);
    };
    attacker.on('message', listener);
    attacker.send({ counts: true });
  });
}

/** The API: the build's own app over a pool of POOL with statement_timeout 5 s; reports its CPU and event-loop delay. */
async function serve(root: string, databaseUrl: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createApp } = require(`${root}/src/api/app`) as typeof import('../../src/api/app');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openDatabase } = require(`${root}/src/shared/database`) as typeof import('../../src/shared/database');
  const { Client, Connection } = await import('@temporalio/client');
  const pino = (await import('pino')).default;
  const db = await openDatabase({ url: databaseUrl, poolMax: POOL, statementTimeoutMs: 5000 });
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
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let cpu = process.cpuUsage();
  const server = app.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
  process.on('message', (message) => {
    if (message === 'reset') {
      loop.reset();
      cpu = process.cpuUsage();
      process.send!({});
    } else if (message === 'sample') {
      const used = process.cpuUsage(cpu);
      process.send!({
        cpuMs: (used.user + used.system) / 1000,
        loopDelayP50: loop.percentile(50) / 1e6,
        loopDelayP99: loop.percentile(99) / 1e6,
      });
    }
  });
  process.once('disconnect', () => process.exit(0));
}

/**
 * The busy merchant: CLIENTS loops, each with one worst list in flight at all times while told to
 * go (at the API it names); a 429 (the per-merchant bound or the per-key rate limit) waits its
 * Retry-After, as the API asks.
 */
function attack(): void {
  const counts: Record<string, number> = {};
  let target: string | undefined;
  let stop = false;
  process.on('message', (message: { go?: string; pause?: boolean; stop?: boolean; counts?: boolean }) => {
    if (message.go) target = message.go;
    if (message.pause) target = undefined;
    if (message.stop) stop = true;
    if (message.counts) process.send!({ counts });
  });
  process.once('disconnect', () => process.exit(0));
  for (let client = 0; client < CLIENTS; client++) {
    void (async () => {
      for (let n = client; !stop; n++) {
        const base = target;
        if (!base) {
          await sleep(20);
          continue;
        }
        try {
          const response = await fetch(`${base}?${WORST_LISTS[n % WORST_LISTS.length]}`, {
            headers: { authorization: `Bearer ${BUSY_KEY}` },
          });
          await response.arrayBuffer();
          counts[String(response.status)] = (counts[String(response.status)] ?? 0) + 1;
          if (response.status === 429) await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
        } catch {
          counts.error = (counts.error ?? 0) + 1;
          await sleep(100);
        }
      }
    })();
  }
}

/** The database's own planning + execution time for the list's query with this filter, warm (its second run). */
async function databaseTime(db: PgClient, query: string): Promise<string> {
  const q = new URLSearchParams(query);
  const num = (name: string) => (q.has(name) ? Number(q.get(name)) : null);
  const params = [
    q.get('customerId'),
    q.get('status'),
    null,
    null,
    num('limit'),
    'busy',
    q.get('createdFrom'),
    q.get('createdTo'),
    num('minAmount'),
    num('maxAmount'),
    q.has('refunded') ? q.get('refunded') === 'true' : null,
  ];
  const sql = `EXPLAIN (ANALYZE, FORMAT JSON) ${LIST_TRANSACTIONS_SQL}`;
  await db.query(sql, params);
  const { rows } = await db.query<{ 'QUERY PLAN': Array<{ 'Planning Time': number; 'Execution Time': number }> }>(sql, params);
  const plan = rows[0]['QUERY PLAN'][0];
  return `plan ${plan['Planning Time'].toFixed(2)} + run ${plan['Execution Time'].toFixed(2)} ms`;
}

/** CPU time so far of each PostgreSQL backend of the bench's database, from /proc (undefined when the server is not on this host). */
async function postgresCpu(db: PgClient): Promise<Map<number, number> | undefined> {
  const { rows } = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  const used = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      used.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // USER_HZ is 100 on Linux
    } catch {
      // ended meanwhile, or not on this host
    }
  }
  return used.size > 0 ? used : undefined;
}

function stats(values: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

const average = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;
const f = (ms: number) => ms.toFixed(2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const role = process.argv[2];
(role === '--attacker' ? Promise.resolve(attack()) : role === '--serve' ? serve(process.argv[3], process.argv[4]) : main()).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/**
 * The cluster's PostgreSQL: the one TEMPORAL_POSTGRES_URL names, or a private one started here
 * from Debian's binaries (initdb once, then `postgres` as a child process) on a free port, its
 * data kept under the cluster's data folder so that a restart keeps every workflow. As root,
 * PostgreSQL runs as its own user: when that user cannot reach the data folder (a checkout in a
 * private directory, such as root's home or any folder of mode 700), the data go under that user's
 * home instead (one folder per cluster data folder, named in `<data folder>/postgres-data-location`).
 * No Unix socket is opened (TCP on loopback only), so no socket folder has to be reachable either.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { freePort } from '../dev-server';
import { postgresBinDir } from './binaries';
import { Child, waitFor } from './child-process';

export interface ClusterPostgres {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** Set when this cluster started it (and so stops it). */
  child?: Child;
  /** Its data folder, when this cluster started it. */
  dataDir?: string;
  stop(): Promise<void>;
}

/** postgres://user[:password]@host:port/<database> */
export function postgresUrl(pg: ClusterPostgres, database: string): string {
  const auth = encodeURIComponent(pg.user) + (pg.password ? `:${encodeURIComponent(pg.password)}` : '');
  return `postgres://${auth}@${pg.host}:${pg.port}/${database}`;
}

export function externalPostgres(url: string): ClusterPostgres {
  const parsed = new URL(url);
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error('TEMPORAL_POSTGRES_URL must be a postgres:// URL');
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username || 'postgres'),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    stop: () => Promise.resolve(),
  };
}

const SYSTEM_USER = 'postgres';
const isRoot = () => process.getuid?.() === 0;

/** As root, PostgreSQL's programs run as the `postgres` system user (they refuse root). */
function runAsPostgres(command: string, args: string[], logFile: string): void {
  const [file, argv] = isRoot()
    ? ['/usr/bin/setpriv', ['--reuid', SYSTEM_USER, '--regid', SYSTEM_USER, '--init-groups', '--', command, ...args]]
    : [command, args];
  // cwd '/': the postgres user may not reach the folder this process runs in.
  const result = spawnSync(file, argv, { encoding: 'utf8', cwd: '/' });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(command)} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr || result.stdout}; log: ${logFile}`,
    );
  }
}

/** Whether the postgres system user can reach (search) `dir`, i.e. every folder on its path. */
function postgresUserCanReach(dir: string): boolean {
  const result = spawnSync('/usr/bin/setpriv', ['--reuid', SYSTEM_USER, '--regid', SYSTEM_USER, '--init-groups', '--', 'test', '-x', dir], {
    cwd: '/',
  });
  return result.status === 0;
}

/** The postgres user's home (Debian: /var/lib/postgresql), else /var/tmp. */
function postgresUserHome(): string {
  const entry = spawnSync('getent', ['passwd', SYSTEM_USER], { encoding: 'utf8' }).stdout ?? '';
  const home = entry.trim().split(':')[5];
  return home && existsSync(home) ? home : '/var/tmp';
}

const LOCATION_FILE = 'postgres-data-location';

/**
 * Where the private PostgreSQL keeps its data: `<dataDir>/postgres`, unless (as root) the postgres
 * user cannot reach `dataDir`; then a folder of its own under that user's home, recorded in
 * `<dataDir>/postgres-data-location`. Without that record (a new or wiped data folder) the outside
 * folder is emptied: its databases belong with the rest of the data folder (the payload keys).
 */
function postgresDataDir(dataDir: string): { pgData: string; outside: boolean } {
  const inside = path.join(dataDir, 'postgres');
  mkdirSync(dataDir, { recursive: true });
  if (!isRoot() || existsSync(path.join(inside, 'PG_VERSION')) || postgresUserCanReach(dataDir)) return { pgData: inside, outside: false };
  const record = path.join(dataDir, LOCATION_FILE);
  const id = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  const pgData = path.join(postgresUserHome(), 'pos-payments-cluster', id);
  if (!existsSync(record) || readFileSync(record, 'utf8').trim() !== pgData) {
    rmSync(pgData, { recursive: true, force: true });
    writeFileSync(
      record,
      `${pgData}\n# The cluster's PostgreSQL data: this folder is private, so PostgreSQL's user could not reach it here.\n`,
    );
  }
  return { pgData, outside: true };
}

export async function startPrivatePostgres(options: { dataDir: string; logsDir: string; port?: number }): Promise<ClusterPostgres> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new Error('no PostgreSQL found under /usr/lib/postgresql: install it (apt-get install postgresql) or set TEMPORAL_POSTGRES_URL');
  }
  const { pgData, outside } = postgresDataDir(options.dataDir);
  const logFile = path.join(options.logsDir, 'postgres.log');
  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    mkdirSync(outside ? path.dirname(pgData) : options.dataDir, { recursive: true });
    if (!existsSync(pgData)) mkdirSync(pgData, { mode: 0o700 });
    if (isRoot()) {
      const uid = Number(execFileSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8' }).trim());
      chownSync(pgData, uid, gid);
    }
    runAsPostgres(path.join(bin, 'initdb'), ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'], logFile);
  }
  const port = options.port || (await freePort());
  const child = new Child({
    name: 'PostgreSQL',
    command: path.join(bin, 'postgres'),
    // TCP on loopback only; no Unix socket (its default folder may not exist or be writable here).
    args: [
      '-D',
      pgData,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    env: { PATH: process.env.PATH, LANG: 'C' },
    cwd: '/',
    logFile,
    user: isRoot() ? SYSTEM_USER : undefined,
    parentDeathSignal: 'SIGINT', // a fast shutdown (SIGTERM would wait for every client to leave)
  });
  const pg: ClusterPostgres = {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    child,
    dataDir: pgData,
    stop: () => child.stop('SIGINT', 30_000),
  };
  try {
    await waitFor('PostgreSQL', () => canQuery(postgresUrl(pg, 'postgres')), 60_000, child);
  } catch (err) {
    child.killNow();
    throw err;
  }
  return pg;
}

async function canQuery(url: string): Promise<boolean> {
  const client = new PgClient({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `work` with a connection to `database`. */
export async function withDatabase<T>(pg: ClusterPostgres, database: string, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ connectionString: postgresUrl(pg, database), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function databaseExists(pg: ClusterPostgres, name: string): Promise<boolean> {
  return withDatabase(pg, 'postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
}

/** CREATE DATABASE, unless it exists (the service's own database: its migrations do the rest). */
export async function ensureDatabase(pg: ClusterPostgres, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  if (await databaseExists(pg, name)) return;
  await withDatabase(pg, 'postgres', (c) => c.query(`CREATE DATABASE ${name}`));
}

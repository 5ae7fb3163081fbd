/**
 * The Temporal server of the cluster, as production runs it: the `temporal-server` binary with a
 * config file (sandbox/cluster/temporal-server.yaml), on PostgreSQL whose schemas the SQL tool
 * sets up and upgrades; then the namespace (with a retention period) and the service's search
 * attributes, registered through the server's own APIs. Optionally the frontend serves TLS, with
 * certificates from a private CA (`createPrivateCa`), and requires client certificates (mTLS).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection, type TLSConfig } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { transactionSearchAttributes } from '../../src/transaction/search-attributes';
import type { ClusterBinaries } from './binaries';
import { Child, sleep, waitFor } from './child-process';
import { databaseExists, withDatabase, type ClusterPostgres } from './postgres';

const run = promisify(execFile);

export const TEMPORAL_DATABASES = { history: 'temporal', visibility: 'temporal_visibility' } as const;

/** The repository's root (sandbox/cluster/ from source, build/sandbox/cluster/ compiled). */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'sandbox', 'cluster'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`cannot find the repository above ${__dirname}`);
  }
}

/**
 * Creates the two databases and brings their schemas to the version these binaries ship
 * (`create-database`, `setup-schema -v 0.0`, `update-schema -d <versioned dir>`). Idempotent: an
 * existing database is kept, a set-up schema only upgraded (a no-op when current).
 */
export async function setupTemporalSchemas(binaries: ClusterBinaries, pg: ClusterPostgres, log: (line: string) => void): Promise<void> {
  const common = ['--endpoint', pg.host, '--port', String(pg.port), '--user', pg.user, '--plugin', 'postgres12'];
  if (pg.password) common.push('--password', pg.password);
  for (const [kind, database] of Object.entries(TEMPORAL_DATABASES)) {
    const sql = (...args: string[]) => run(binaries.sqlTool, [...common, '--database', database, ...args], { maxBuffer: 16 << 20 });
    if (!(await databaseExists(pg, database))) {
      log(`creating database ${database}`);
      await sql('create-database');
    }
    const versioned = await withDatabase(pg, database, async (c) => {
      const { rows } = await c.query<{ present: boolean }>(`SELECT to_regclass('public.schema_version') IS NOT NULL AS present`);
      return rows[0].present;
    });
    if (!versioned) await sql('setup-schema', '-v', '0.0');
    const dir = path.join(binaries.schemaDir, 'postgresql', 'v12', kind === 'history' ? 'temporal' : 'visibility', 'versioned');
    await sql('update-schema', '-d', dir);
  }
}

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

/**
 * A port free a moment ago, below 32768: the server records its services' membership ports in
 * cluster_membership.rpc_port, a PostgreSQL smallint, so a port from Linux's ephemeral range
 * (32768-60999, what port 0 gives) stops it at start ("out of range for type smallint").
 */
export async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found in 20000-31999');
}

/** The canonical single-host ports (7233...), or free ones (below 32768) for any other frontend port; 0 = free. */
export async function serverPorts(frontend: number): Promise<TemporalServerPorts> {
  if (frontend === 7233) {
    return {
      frontend,
      frontendHttp: 7243,
      frontendMembership: 6933,
      history: 7234,
      historyMembership: 6934,
      matching: 7235,
      matchingMembership: 6935,
      worker: 7239,
      workerMembership: 6939,
      metrics: 8000,
    };
  }
  return {
    frontend: frontend || (await freeLowPort()),
    frontendHttp: await freeLowPort(),
    frontendMembership: await freeLowPort(),
    history: await freeLowPort(),
    historyMembership: await freeLowPort(),
    matching: await freeLowPort(),
    matchingMembership: await freeLowPort(),
    worker: await freeLowPort(),
    workerMembership: await freeLowPort(),
    metrics: await freeLowPort(),
  };
}

/** A certificate and its private key, PEM files. */
export interface PemPair {
  certFile: string;
  keyFile: string;
}

/** A throwaway private CA and what it signed: the frontend's certificate and two client certificates. */
export interface PrivateCa {
  /** The CA's certificate (PEM): what clients trust the server by, and the server trusts clients by. */
  caFile: string;
  /** The DNS name in the server certificate (beside localhost and 127.0.0.1): what clients check it against. */
  serverName: string;
  server: PemPair;
  /** The Temporal server's own client certificate: its system worker's, and the cluster harness's calls. */
  system: PemPair;
  /** A client certificate for the service (CN pos-payments). */
  client: PemPair;
}

/**
 * Creates a private CA in `dir` with `openssl` (P-256 keys, valid 2 days) and signs with it a
 * server certificate for `serverName`, localhost and 127.0.0.1, and two client certificates.
 * Extensions are explicit (CA:TRUE and keyCertSign on the CA; CA:FALSE, serverAuth or clientAuth
 * and a subjectAltName on the leaves): rustls, which the SDK's worker connection uses, accepts
 * nothing less.
 */
export async function createPrivateCa(dir: string, serverName = 'temporal.pos.test', openssl = '/usr/bin/openssl'): Promise<PrivateCa> {
  const file = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => run(openssl, args);
  const key = (name: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(`${name}-key.pem`));
  const sign = async (name: string, subject: string, extensions: string[], ca?: string) => {
    await key(name);
    await ssl('req', '-new', '-key', file(`${name}-key.pem`), '-subj', subject, '-out', file(`${name}.csr`));
    writeFileSync(file(`${name}.ext`), [...extensions, 'subjectKeyIdentifier=hash', ''].join('\n'));
    const issuer = ca ? ['-CA', file(`${ca}.pem`), '-CAkey', file(`${ca}-key.pem`)] : ['-signkey', file(`${name}-key.pem`)];
    await ssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      ...issuer,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '2',
      '-sha256',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
    return { certFile: file(`${name}.pem`), keyFile: file(`${name}-key.pem`) };
  };
  const leaf = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'authorityKeyIdentifier=keyid'];
  const ca = await sign('ca', '/CN=POS payments test CA', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']);
  return {
    caFile: ca.certFile,
    serverName,
    server: await sign(
      'server',
      `/CN=${serverName}`,
      [...leaf, 'extendedKeyUsage=serverAuth', `subjectAltName=DNS:${serverName},DNS:localhost,IP:127.0.0.1`],
      'ca',
    ),
    system: await sign('system', '/CN=temporal-system', [...leaf, 'extendedKeyUsage=clientAuth'], 'ca'),
    client: await sign('client', '/CN=pos-payments', [...leaf, 'extendedKeyUsage=clientAuth'], 'ca'),
  };
}

/** TLS on the frontend (global.tls.frontend); internode traffic stays plaintext, on loopback. */
export interface TemporalServerTls {
  /** PEM: the frontend's certificate (it must name `serverName`) and key. */
  server: PemPair;
  /** PEM: the CA the frontend's certificate chains to; with requireClientAuth, client certificates must chain to it too. */
  caFile: string;
  serverName: string;
  /** mTLS: the frontend refuses a client without a certificate signed by `caFile`. Default false. */
  requireClientAuth?: boolean;
  /**
   * PEM: the client certificate of the server's own system worker (global.tls.systemWorker: it calls
   * the frontend for schedules and other system workflows) and of this harness's calls.
   */
  system: PemPair;
}

/** The SDK TLS options of the harness's own connections to a frontend served with `tls`. */
export function harnessTls(tls: TemporalServerTls | undefined): TLSConfig | undefined {
  if (!tls) return undefined;
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: readFileSync(tls.caFile),
    clientCertPair: { crt: readFileSync(tls.system.certFile), key: readFileSync(tls.system.keyFile) },
  };
}

export interface TemporalServerOptions {
  binaries: ClusterBinaries;
  pg: ClusterPostgres;
  ports: TemporalServerPorts;
  logFile: string;
  /** Default: sandbox/cluster/temporal-server.yaml. */
  configFile?: string;
  logLevel?: string;
  /** Serve the frontend over TLS; default plaintext. */
  tls?: TemporalServerTls;
}

/** Starts `temporal-server start` (all four services) and waits until the frontend answers. */
export async function startTemporalServer(options: TemporalServerOptions): Promise<Child> {
  const configFile = options.configFile ?? path.join(repoRoot(), 'sandbox', 'cluster', 'temporal-server.yaml');
  const { ports, pg } = options;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    POS_TEMPORAL_LOG_LEVEL: options.logLevel ?? 'info',
    POS_TEMPORAL_PG_ADDRESS: `${pg.host}:${pg.port}`,
    POS_TEMPORAL_PG_USER: pg.user,
    POS_TEMPORAL_PG_PASSWORD: pg.password ?? '',
    POS_TEMPORAL_DB: TEMPORAL_DATABASES.history,
    POS_TEMPORAL_VISIBILITY_DB: TEMPORAL_DATABASES.visibility,
    POS_TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${ports.metrics}`,
    POS_TEMPORAL_FRONTEND_PORT: String(ports.frontend),
    POS_TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    POS_TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    POS_TEMPORAL_HISTORY_PORT: String(ports.history),
    POS_TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    POS_TEMPORAL_MATCHING_PORT: String(ports.matching),
    POS_TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    POS_TEMPORAL_WORKER_PORT: String(ports.worker),
    POS_TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    // Another file when the caller names one (a bench switching a setting while the server runs: it re-reads it every 10 s).
    POS_TEMPORAL_DYNAMIC_CONFIG: process.env.POS_TEMPORAL_DYNAMIC_CONFIG || path.join(path.dirname(configFile), 'dynamic-config.yaml'),
    // Go's profiler on this port when asked for (off otherwise): where the server's CPU goes, by service.
    ...(process.env.POS_TEMPORAL_PPROF_PORT && { POS_TEMPORAL_PPROF_PORT: process.env.POS_TEMPORAL_PPROF_PORT }),
    ...(options.tls && {
      POS_TEMPORAL_TLS_CERT_FILE: options.tls.server.certFile,
      POS_TEMPORAL_TLS_KEY_FILE: options.tls.server.keyFile,
      POS_TEMPORAL_TLS_CA_FILE: options.tls.caFile,
      POS_TEMPORAL_TLS_SERVER_NAME: options.tls.serverName,
      POS_TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: String(options.tls.requireClientAuth ?? false),
      POS_TEMPORAL_TLS_SYSTEM_CERT_FILE: options.tls.system.certFile,
      POS_TEMPORAL_TLS_SYSTEM_KEY_FILE: options.tls.system.keyFile,
    }),
  };
  const child = new Child({
    name: 'Temporal server',
    command: options.binaries.server,
    // The server reads <config dir>/<env>.yaml: this file, by its name.
    args: ['--root', '/', '--config', path.dirname(configFile), '--env', path.basename(configFile, '.yaml'), '--allow-no-auth', 'start'],
    env,
    logFile: options.logFile,
    // If the cluster's process dies, PostgreSQL goes with it, and a graceful stop would wait on it forever.
    parentDeathSignal: 'SIGKILL',
  });
  try {
    const tls = harnessTls(options.tls);
    await waitFor('Temporal server', () => frontendAnswers(`127.0.0.1:${ports.frontend}`, tls), 120_000, child);
  } catch (err) {
    child.killNow();
    throw err;
  }
  return child;
}

async function frontendAnswers(address: string, tls: TLSConfig | undefined): Promise<boolean> {
  const connection = await Connection.connect({ address, tls, connectTimeout: 1000 });
  try {
    await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    return true;
  } finally {
    await connection.close();
  }
}

const ALREADY_EXISTS = 6;

/**
 * The namespace (with its retention) and the search attributes the flow sets. Idempotent. Waits
 * until the frontend accepts both (its namespace cache refreshes every few seconds), so a worker
 * started next passes its start-up check and the first transaction can set its attributes.
 */
export async function ensureNamespace(
  address: string,
  namespace: string,
  retentionDays: number,
  log: (line: string) => void,
  /** The harness's TLS options (`harnessTls`) when the frontend serves TLS. */
  tls?: TLSConfig,
): Promise<void> {
  const connection = await Connection.connect({ address, tls });
  try {
    const retry = <T>(what: string, call: () => Promise<T>) => retryWhileStarting(what, call);
    await retry('register the namespace', async () => {
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          description: 'POS payment transactions (npm run cluster)',
          workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
        });
        log(`namespace ${namespace} registered (retention ${retentionDays} days)`);
      } catch (err) {
        if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
      }
    });
    const { customAttributes } = await retry('list the search attributes', () =>
      connection.operatorService.listSearchAttributes({ namespace }),
    );
    const missing = transactionSearchAttributes.filter((key) => !(key.name in (customAttributes ?? {})));
    if (missing.length > 0) {
      await retry('add the search attributes', () =>
        connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(
            missing.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]),
          ),
        }),
      );
      log(`search attributes ${missing.map((k) => k.name).join(', ')} added to ${namespace}`);
    }
    // The frontend validates queries and workflow starts against its cached view of the namespace.
    const query = transactionSearchAttributes.map((key) => `${key.name} IS NULL`).join(' AND ');
    await retry('see the namespace and its search attributes', () =>
      connection.workflowService.countWorkflowExecutions({ namespace, query }),
    );
  } finally {
    await connection.close();
  }
}

async function retryWhileStarting<T>(what: string, call: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > giveUpAt) throw new Error(`could not ${what}: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

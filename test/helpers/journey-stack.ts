/**
 * The service as `npm start` runs it, but every part a real process of its own, for the black-box
 * operator journey (test/operator-journey.test.ts): the Temporal dev server from the provisioned
 * CLI, the Zuz and PMS simulators as their standalone builds (`build/sandbox/simulators/...`), one
 * worker and two API processes from `dist/` (built by `npm run build`), all on one PostgreSQL.
 *
 * Nothing here imports the service (src/) or the sandbox: the test sees processes, ports and HTTP.
 * The one thing put between the service and the Zuz simulator is a front (journey-zuz-front.ts)
 * that passes every call through unless the test asks it to refuse a payment's voids.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { startZuzFront, type ZuzFront } from './journey-zuz-front';

const ROOT = path.join(__dirname, '..', '..');
/**
 * The service's build. POS_JOURNEY_DIST names another copy of it (one whose node_modules resolve,
 * e.g. under node_modules/.cache/): how a deliberately broken service is shown to fail the journey.
 */
const DIST = process.env.POS_JOURNEY_DIST || path.join(ROOT, 'dist');
/** The production entry points (`npm run start:worker`, `npm run start:api`) and the simulators' standalone builds. */
export const ENTRY_POINTS = {
  worker: path.join(DIST, 'worker.js'),
  api: path.join(DIST, 'api', 'server.js'),
  zuz: path.join(ROOT, 'build', 'sandbox', 'simulators', 'zuz', 'main.js'),
  pms: path.join(ROOT, 'build', 'sandbox', 'simulators', 'pms', 'main.js'),
};

/**
 * The dev server's search attributes, as sandbox/dev-server.ts registers them (the worker checks
 * at start that the namespace has the service's: a change there stops the worker with its name).
 */
const SEARCH_ATTRIBUTES = ['TransactionStatus=Keyword', 'CustomerId=Keyword', 'TransactionAmount=Int', 'MerchantId=Keyword'];

export interface JourneyStackOptions {
  /** A PostgreSQL the processes may use; the stack makes a database of its own there when it may. */
  databaseUrl: string;
  /** The bootstrap configuration: merchants' keys (`merchantId:key`) and operator keys. */
  apiKeys: string;
  operatorKeys: string;
  /** Set on top of the worker's and the APIs' environment (the flow's waits). */
  serviceEnv?: Record<string, string>;
}

export interface JourneyStack {
  /** The two API processes, same configuration, same database. */
  apiUrls: [string, string];
  /** The Temporal dev server's frontend (host:port). */
  temporalAddress: string;
  zuzUrl: string;
  pmsUrl: string;
  /** The headers the Zuz simulator's admin routes want. */
  zuzAdmin: Record<string, string>;
  /** The header the PMS simulator's routes want. */
  pmsAdmin: Record<string, string>;
  front: ZuzFront;
  logsDir: string;
  /** The last lines each process wrote, for a failing assertion's message. */
  tails(lines?: number): string;
  stop(): Promise<void>;
}

interface Service {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

export async function startJourneyStack(options: JourneyStackOptions): Promise<JourneyStack> {
  for (const [name, file] of Object.entries(ENTRY_POINTS)) {
    if (!existsSync(file)) throw new Error(`${name}: ${file} is missing: run "npm run --silent build" first`);
  }
  const cli =
    process.env.TEMPORAL_CLI ?? path.join(process.env.POS_CACHE_DIR ?? path.join(homedir(), '.cache', 'pos-payments'), 'bin', 'temporal');
  if (!existsSync(cli)) throw new Error(`Temporal CLI not found at ${cli}: run "npm run provision" or set TEMPORAL_CLI`);

  const logsDir = mkdtempSync(path.join(tmpdir(), 'pos-journey-'));
  const services: Service[] = [];
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s().catch(() => undefined);
  };
  // Warnings and errors (and any line that is not a JSON log line), each cut short: the logs themselves stay in logsDir.
  const tails = (lines = 8) =>
    services
      .map((s) => {
        const all = existsSync(s.logFile) ? readFileSync(s.logFile, 'utf8').trimEnd().split('\n') : [];
        const telling = all.filter((line) => !/^\{"level":(10|20|30),/.test(line)).slice(-lines);
        return `--- ${s.name} (${s.logFile}) ---\n${telling.map((line) => line.slice(0, 400)).join('\n')}`;
      })
      .join('\n');
  const run = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Service => {
    const service = spawnService(name, command, args, env, path.join(logsDir, `${name}.log`));
    services.push(service);
    stoppers.push(() => stopService(service));
    return service;
  };

  try {
    const database = await ownDatabase(options.databaseUrl);
    stoppers.push(database.drop);

    // Temporal: the CLI's dev server, in memory, as sandbox/dev-server.ts starts it.
    const temporalPort = await freePort();
    const temporal = run(
      'temporal',
      cli,
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(temporalPort),
        '--namespace',
        'default',
        '--headless',
        '--log-level',
        'warn',
        '--dynamic-config-value',
        'history.transferProcessorMaxPollRPS=1000',
        ...SEARCH_ATTRIBUTES.flatMap((attribute) => ['--search-attribute', attribute]),
      ],
      process.env,
    );
    const temporalAddress = `127.0.0.1:${temporalPort}`;

    const [apiPortA, apiPortB, zuzPort, pmsPort, healthPort, workerMetricsPort] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    const apiUrls: [string, string] = [`http://127.0.0.1:${apiPortA}`, `http://127.0.0.1:${apiPortB}`];
    const zuzCredentials = { appId: 'journey-app', privateKey: `journey-zuz-key-${randomBytes(8).toString('hex')}` };
    const pmsKey = `journey-pms-key-${randomBytes(8).toString('hex')}`;
    const plain = { ...process.env, NODE_OPTIONS: '' };

    // The simulators, standalone; Zuz's webhooks go to the first API (either would do: they share everything).
    const zuz = run('zuz', process.execPath, [ENTRY_POINTS.zuz], {
      ...plain,
      ZUZ_SIM_HOST: '127.0.0.1',
      ZUZ_SIM_PORT: String(zuzPort),
      ZUZ_APP_ID: zuzCredentials.appId,
      ZUZ_PRIVATE_KEY: zuzCredentials.privateKey,
      ZUZ_ENV: 'test',
      ZUZ_WEBHOOK_URL: `${apiUrls[0]}/webhooks/zuz`,
      SIM_TIME_SCALE: '0.001',
    });
    const pms = run('pms', process.execPath, [ENTRY_POINTS.pms], {
      ...plain,
      PMS_SIM_HOST: '127.0.0.1',
      PMS_SIM_PORT: String(pmsPort),
      PMS_API_KEY: pmsKey,
      // The mock cards are seeded for the merchants of API_KEYS; merchants made at run time get none.
      API_KEYS: options.apiKeys,
    });
    const zuzUrl = `http://127.0.0.1:${zuzPort}`;
    const pmsUrl = `http://127.0.0.1:${pmsPort}`;
    const zuzAdmin = { 'app-id': zuzCredentials.appId, 'private-key': zuzCredentials.privateKey, 'content-type': 'application/json' };
    const pmsAdmin = { authorization: `Bearer ${pmsKey}`, 'content-type': 'application/json' };
    await Promise.all([
      waitForTemporal(temporalAddress, temporal, tails),
      waitForHttp(`${zuzUrl}/_admin/deliveries`, zuz, tails, { headers: zuzAdmin }),
      // Any answer (404 for an unknown card) says it listens.
      waitForHttp(`${pmsUrl}/v1/merchants/m/customers/c/payment-methods/p`, pms, tails, { headers: pmsAdmin, anyStatus: true }),
    ]);

    const front = await startZuzFront(zuzUrl);
    stoppers.push(() => front.close());

    const serviceEnv: NodeJS.ProcessEnv = {
      ...plain,
      POS_SANDBOX: 'true', // http:// simulators and short keys, which the production entry points refuse otherwise
      LOG_LEVEL: process.env.JOURNEY_LOG_LEVEL ?? 'info',
      LOG_FORMAT: 'json',
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: `journey-${randomUUID()}`,
      // This stack's own Temporal, whatever the developer's temporal.toml says.
      TEMPORAL_CONFIG_FILE: '/dev/null',
      TEMPORAL_PROFILE: '',
      TEMPORAL_API_KEY: '',
      TEMPORAL_TLS: 'false',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '',
      OTEL_TRACES_EXPORTER: 'none',
      DATABASE_URL: database.url,
      ZUZ_BASE_URL: front.url,
      ZUZ_APP_ID: zuzCredentials.appId,
      ZUZ_PRIVATE_KEY: zuzCredentials.privateKey,
      ZUZ_ENV: 'test',
      PMS_BASE_URL: pmsUrl,
      PMS_API_KEY: pmsKey,
      API_HOST: '127.0.0.1',
      API_KEYS: options.apiKeys,
      OPERATOR_API_KEYS: options.operatorKeys,
      API_METRICS_ADDRESS: '127.0.0.1:0',
      API_RATE_LIMIT_PER_MINUTE: '',
      CODEC_SERVER_ADDRESS: '',
      // Payloads encrypted as npm start and production do: one key for this run, shared by all three processes.
      PAYLOAD_ENCRYPTION: 'on',
      PAYLOAD_ENCRYPTION_KEYS: `journey-1:${randomBytes(32).toString('base64')}`,
      CUSTOMER_PSEUDONYM_KEY: randomBytes(32).toString('base64'),
      // Every transaction here is cus_demo's, as in npm start (whose defaults are these too).
      RISK_MAX_TRANSACTIONS_PER_HOUR: '10000',
      RISK_MAX_AMOUNT_PER_DAY: '100000000',
      WORKER_SHUTDOWN_GRACE_SECONDS: '2',
      ...options.serviceEnv,
    };
    const worker = run('worker', process.execPath, [ENTRY_POINTS.worker], {
      ...serviceEnv,
      WORKER_HEALTH_HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: String(healthPort),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
    });
    // The worker first: it migrates the database, and the two APIs then find it ready (they would migrate under a lock too).
    await waitForHttp(`http://127.0.0.1:${healthPort}/readyz`, worker, tails);
    const apis = [apiPortA, apiPortB].map((port, i) =>
      run(`api-${'ab'[i]}`, process.execPath, [ENTRY_POINTS.api], { ...serviceEnv, API_PORT: String(port) }),
    );
    await Promise.all(apis.map((api, i) => waitForHttp(`${apiUrls[i]}/readyz`, api, tails)));

    return { apiUrls, temporalAddress, zuzUrl, pmsUrl, zuzAdmin, pmsAdmin, front, logsDir, tails, stop };
  } catch (err) {
    const message = `${(err as Error).message}\n${tails()}`;
    await stop();
    throw new Error(message);
  }
}

/**
 * On Linux the kernel stops a child whose parent dies without cleaning up (`setpriv --pdeathsig`
 * execs the command, same pid), so a killed jest leaves no service behind.
 */
function spawnService(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Service {
  const log = openSync(logFile, 'a');
  const [file, fileArgs] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', command, ...args]]
    : [command, args];
  const child = spawn(file, fileArgs, { env, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { name, child, logFile, exited };
}

async function stopService(service: Service): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await service.exited;
  clearTimeout(killer);
}

function running(service: Service): boolean {
  return service.child.exitCode === null && service.child.signalCode === null;
}

/** Each part's start-up, generously: on a loaded 2-core machine the worker alone has taken over a minute. */
const READY_TIMEOUT_MS = 240_000;

async function waitForHttp(
  url: string,
  service: Service,
  tails: () => string,
  options: { headers?: Record<string, string>; anyStatus?: boolean } = {},
): Promise<void> {
  const giveUpAt = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  for (;;) {
    if (!running(service)) throw new Error(`${service.name} exited (${service.child.exitCode ?? service.child.signalCode}) while starting`);
    const response = await fetch(url, { headers: options.headers, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (response) {
      await response.arrayBuffer();
      if (response.status === 200 || options.anyStatus) return;
      last = String(response.status);
    }
    if (Date.now() > giveUpAt)
      throw new Error(`${service.name}: ${url} did not answer 200 within ${READY_TIMEOUT_MS / 1000} s (last: ${last})\n${tails()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitForTemporal(address: string, service: Service, tails: () => string): Promise<void> {
  const giveUpAt = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!running(service)) throw new Error(`the Temporal dev server exited (${service.child.exitCode}) while starting`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      if (Date.now() > giveUpAt) throw new Error(`the Temporal dev server did not answer on ${address} in time\n${tails()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * A database of the stack's own on the given server, so the transactions of this file never meet
 * another file's daily reconciliation (which could not reach this file's simulators); dropped at
 * the end. Where the role may not create databases, the given one is used as it is.
 */
async function ownDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `pos_journey_${randomBytes(4).toString('hex')}`;
  const admin = new PgClient({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch {
    return { url, drop: async () => undefined };
  } finally {
    await admin.end();
  }
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    url: own.toString(),
    drop: async () => {
      const client = new PgClient({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

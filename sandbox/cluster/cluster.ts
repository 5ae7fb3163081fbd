/**
 * The service on a production-shape Temporal, on one machine: PostgreSQL (TEMPORAL_POSTGRES_URL
 * or a private one), the Temporal server (frontend, history, matching and worker services) on it,
 * the namespace and search attributes, the standalone Web UI server, the Zuz and PMS simulators
 * (in this process), N worker processes and the API process, each started from the service's
 * production build (dist/) with the environment a deployment gives it. `npm run cluster` runs it;
 * tests and tools call `startCluster`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadApiConfig } from '../../src/config';
import { freePort } from '../dev-server';
import { DEV_DEFAULTS } from '../local-stack';
import { startPmsSimulator, type PmsSimulator } from '../simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../simulators/zuz';
import { clusterBinaries, missingClusterBinaries, type ClusterBinaries } from './binaries';
import { Child, httpOk, waitFor } from './child-process';
import { ensureDatabase, externalPostgres, postgresUrl, startPrivatePostgres, type ClusterPostgres } from './postgres';
import {
  ensureNamespace,
  repoRoot,
  serverPorts,
  setupTemporalSchemas,
  startTemporalServer,
  type TemporalServerOptions,
} from './temporal-server';
import { startUiServer } from './ui-server';

export interface ClusterOptions {
  /** PostgreSQL data (when private), logs and the UI server's config. */
  dataDir: string;
  /** A PostgreSQL to use (postgres://user:password@host:port/...); otherwise a private one under `dataDir`. */
  postgresUrl?: string;
  /** The service's own database; default: database `pos` in the same PostgreSQL. */
  databaseUrl?: string;
  /** Worker processes; default 1. */
  workers?: number;
  /** Default `default`. */
  namespace?: string;
  /** How long closed workflows are kept; default 3 days. */
  retentionDays?: number;
  taskQueue?: string;
  /** 0 = a free port. Temporal 7233 also means the canonical ports for the server's internal services. */
  ports?: { temporal?: number; ui?: number; api?: number; zuz?: number; pms?: number; postgres?: number };
  /** The simulators' delays (SIM_TIME_SCALE); default 1. */
  simTimeScale?: number;
  /** Set on top of the worker and API processes' environment (e.g. the FLOW_* waits). */
  serviceEnv?: NodeJS.ProcessEnv;
  binaries?: ClusterBinaries;
  /** The Temporal server's log level; default info. */
  temporalLogLevel?: string;
  /** Progress lines; default none. */
  log?: (line: string) => void;
  /** Called at once with what stops (or kills) the parts started so far: for a Ctrl-C while starting. */
  onStarting?: (control: { stop(): Promise<void>; killNow(): void }) => void;
}

export interface Cluster {
  apiUrl: string;
  uiUrl: string;
  temporalAddress: string;
  /** The Temporal server's Prometheus endpoint. */
  temporalMetricsUrl: string;
  namespace: string;
  taskQueue: string;
  apiKey: string;
  /** The PostgreSQL holding `temporal`, `temporal_visibility` (and `pos` unless databaseUrl was given). */
  postgres: { host: string; port: number; owned: boolean };
  databaseUrl: string;
  zuz: ZuzSimulator;
  pms: PmsSimulator;
  logsDir: string;
  temporalServerPid(): number | undefined;
  /** Every child process's pid, by part (PostgreSQL when private, the Temporal and UI servers, worker-N, API). */
  pids(): Record<string, number | undefined>;
  /** kill -9 the Temporal server process, then start it again on the same ports and database. */
  restartTemporalServer(): Promise<void>;
  /** Stops everything, in the reverse order of the start. */
  stop(): Promise<void>;
  /** For exit paths (a crash, a second Ctrl-C): kills every child process at once. */
  killNow(): void;
}

const READY_TIMEOUT_MS = 90_000;

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const binaries = options.binaries ?? clusterBinaries();
  const missing = missingClusterBinaries(binaries);
  if (missing) throw new Error(`Temporal cluster binaries: ${missing}`);
  const dist = path.join(repoRoot(), 'dist');
  const logsDir = path.join(options.dataDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const namespace = options.namespace ?? 'default';
  const taskQueue = options.taskQueue ?? 'pos-transactions';
  const ports = options.ports ?? {};

  // Everything started so far, in order; stopped in reverse.
  const parts: Array<{ name: string; stop: () => Promise<unknown>; kill: () => void }> = [];
  const children = new Map<string, Child>();
  let stopped = false;
  const addChild = (name: string, child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) => {
    if (stopped) {
      child.killNow();
      throw new Error(`stopped while starting ${name}`);
    }
    children.set(name, child);
    parts.push({ name, stop: () => children.get(name)!.stop(signal, graceMs), kill: () => children.get(name)?.killNow() });
  };
  const killNow = () => parts.forEach((part) => part.kill());
  const stop = async () => {
    stopped = true;
    for (const part of parts.splice(0).reverse()) {
      log(`stopping ${part.name}`);
      await part.stop().catch((err) => log(`  ${part.name}: ${(err as Error).message}`));
    }
  };

  options.onStarting?.({ stop, killNow });
  try {
    let pg: ClusterPostgres;
    if (options.postgresUrl) {
      pg = externalPostgres(options.postgresUrl);
      log(`PostgreSQL: ${pg.host}:${pg.port} (TEMPORAL_POSTGRES_URL)`);
    } else {
      log('PostgreSQL: starting a private one');
      pg = await startPrivatePostgres({ dataDir: options.dataDir, logsDir, port: ports.postgres });
      addChild('PostgreSQL', pg.child!, 'SIGINT', 30_000);
      log(`PostgreSQL: 127.0.0.1:${pg.port}, data in ${path.join(options.dataDir, 'postgres')}`);
    }
    const databaseUrl = options.databaseUrl ?? postgresUrl(pg, 'pos');
    if (!options.databaseUrl) await ensureDatabase(pg, 'pos');

    log('Temporal: setting up the schemas (temporal, temporal_visibility)');
    await setupTemporalSchemas(binaries, pg, log);
    const serverOptions: TemporalServerOptions = {
      binaries,
      pg,
      ports: await serverPorts(ports.temporal ?? 7233),
      logFile: path.join(logsDir, 'temporal-server.log'),
      logLevel: options.temporalLogLevel,
    };
    log('Temporal: starting the server (frontend, history, matching, worker)');
    addChild('Temporal server', await startTemporalServer(serverOptions), 'SIGTERM', 30_000);
    const temporalAddress = `127.0.0.1:${serverOptions.ports.frontend}`;
    await ensureNamespace(temporalAddress, namespace, options.retentionDays ?? 3, log);

    log('Temporal: starting the Web UI server');
    const ui = await startUiServer({
      binary: binaries.uiServer,
      temporalAddress,
      port: ports.ui || (await freePort()),
      namespace,
      configDir: path.join(options.dataDir, 'ui'),
      logFile: path.join(logsDir, 'ui-server.log'),
    });
    addChild('Temporal UI server', ui.child);

    const credentials = {
      API_KEYS: process.env.API_KEYS || DEV_DEFAULTS.API_KEYS,
      ZUZ_APP_ID: process.env.ZUZ_APP_ID || DEV_DEFAULTS.ZUZ_APP_ID,
      ZUZ_PRIVATE_KEY: process.env.ZUZ_PRIVATE_KEY || DEV_DEFAULTS.ZUZ_PRIVATE_KEY,
      PMS_API_KEY: process.env.PMS_API_KEY || DEV_DEFAULTS.PMS_API_KEY,
    };
    const timeScale = options.simTimeScale ?? 1;
    const pms = await startPmsSimulator({ port: ports.pms ?? 0, apiKey: credentials.PMS_API_KEY });
    parts.push({ name: 'PMS simulator', stop: () => pms.close(), kill: () => undefined });
    if (stopped) throw new Error('stopped while starting');
    const zuz = await startZuzSimulator({
      port: ports.zuz ?? 0,
      appId: credentials.ZUZ_APP_ID,
      privateKey: credentials.ZUZ_PRIVATE_KEY,
      timeScale,
    });
    parts.push({ name: 'Zuz simulator', stop: () => zuz.close(), kill: () => undefined });

    const apiPort = ports.api || (await freePort());
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    zuz.setWebhookUrl(`${apiUrl}/webhooks/zuz`);
    const serviceEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_OPTIONS: '', // e.g. jest's --experimental-vm-modules is not for the services
      POS_SANDBOX: 'true', // the simulators: http:// URLs and short keys, which production refuses
      LOG_FORMAT: 'json',
      RISK_MAX_TRANSACTIONS_PER_HOUR: DEV_DEFAULTS.RISK_MAX_TRANSACTIONS_PER_HOUR,
      RISK_MAX_AMOUNT_PER_DAY: DEV_DEFAULTS.RISK_MAX_AMOUNT_PER_DAY,
      ...credentials,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_API_KEY: '',
      TEMPORAL_TLS: 'false',
      TEMPORAL_TLS_CERT: '',
      TEMPORAL_TLS_KEY: '',
      DATABASE_URL: databaseUrl,
      ZUZ_BASE_URL: zuz.url,
      ZUZ_ENV: 'test',
      PMS_BASE_URL: pms.url,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      ...options.serviceEnv,
    };

    const workerCount = options.workers ?? 1;
    log(`service: starting ${workerCount} worker process(es) and the API (node dist/worker.js, node dist/api/server.js)`);
    // One at a time: the first worker applies the service's database migrations.
    for (let i = 0; i < workerCount; i++) {
      const [health, metrics] = [await freePort(), await freePort()];
      const worker = new Child({
        name: `worker-${i}`,
        command: process.execPath,
        args: [path.join(dist, 'worker.js')],
        env: { ...serviceEnv, WORKER_HEALTH_PORT: String(health), WORKER_METRICS_ADDRESS: `127.0.0.1:${metrics}` },
        logFile: path.join(logsDir, `worker-${i}.log`),
      });
      addChild(`worker-${i}`, worker, 'SIGTERM', 30_000);
      await waitFor(`worker-${i}`, () => httpOk(`http://127.0.0.1:${health}/readyz`), READY_TIMEOUT_MS, worker);
    }
    const api = new Child({
      name: 'API',
      command: process.execPath,
      args: [path.join(dist, 'api', 'server.js')],
      env: { ...serviceEnv, API_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` },
      logFile: path.join(logsDir, 'api.log'),
    });
    addChild('API', api);
    await waitFor('API', () => httpOk(`${apiUrl}/readyz`), READY_TIMEOUT_MS, api);

    return {
      apiUrl,
      uiUrl: ui.url,
      temporalAddress,
      temporalMetricsUrl: `http://127.0.0.1:${serverOptions.ports.metrics}/metrics`,
      namespace,
      taskQueue,
      apiKey: loadApiConfig(serviceEnv).apiKeys[0].key,
      postgres: { host: pg.host, port: pg.port, owned: !!pg.child },
      databaseUrl,
      zuz,
      pms,
      logsDir,
      temporalServerPid: () => children.get('Temporal server')?.pid,
      pids: () => Object.fromEntries([...children].map(([name, child]) => [name, child.pid])),
      async restartTemporalServer() {
        log('Temporal: kill -9 the server');
        await children.get('Temporal server')!.kill();
        log('Temporal: starting the server again');
        children.set('Temporal server', await startTemporalServer(serverOptions));
      },
      stop,
      killNow,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

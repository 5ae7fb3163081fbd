/**
 * The service on a production-shape Temporal, on one machine: PostgreSQL (TEMPORAL_POSTGRES_URL
 * or a private one), the Temporal server (frontend, history, matching and worker services) on it,
 * the namespace and search attributes, the standalone Web UI server, the Zuz and PMS simulators
 * (in this process), N worker processes and the API process, each started from the service's
 * production build (dist/) with the environment a deployment gives it. `npm run cluster` runs it;
 * tests and tools call `startCluster`. `startTemporalCluster` starts only the engine (PostgreSQL,
 * the Temporal server, the namespace, optionally the UI server): the chaos suite runs its own
 * worker and API processes on it.
 */
import { codecUiEndpoint } from '../../src/api/codec-server';
import { randomBytes } from 'node:crypto';
import { sandboxEncryptionEnv } from '../payload-keys';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadApiConfig } from '../../src/shared/config';
import { freePort } from '../dev-server';
import { DEV_DEFAULTS, merchantsOf } from '../config';
import { startPmsSimulator, type PmsSimulator } from '../simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../simulators/zuz';
import { clusterBinaries, missingClusterBinaries, type ClusterBinaries } from './binaries';
import { Child, httpOk, sleep, waitFor } from './child-process';
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

export interface TemporalClusterOptions {
  /** PostgreSQL data (when private) and the UI server's config. */
  dataDir: string;
  /** The servers' logs; default `<dataDir>/logs`. */
  logsDir?: string;
  /** A PostgreSQL to use (postgres://user:password@host:port/...); otherwise a private one under `dataDir`. */
  postgresUrl?: string;
  /** Default `default`. */
  namespace?: string;
  /** How long closed workflows are kept; default 3 days. */
  retentionDays?: number;
  /** 0 = a free port. Temporal 7233 also means the canonical ports for the server's internal services. */
  ports?: { temporal?: number; ui?: number; postgres?: number };
  /** Start the standalone Web UI server; default true. */
  uiServer?: boolean;
  /** The codec server the Web UI decodes payloads with (the API serves it when payloads are encrypted). */
  codecEndpoint?: string;
  binaries?: ClusterBinaries;
  /** The Temporal server's log level; default info. */
  temporalLogLevel?: string;
  /** Progress lines; default none. */
  log?: (line: string) => void;
  /** Called at once with what stops (or kills) the parts started so far: for a Ctrl-C while starting. */
  onStarting?: (control: ClusterControl) => void;
}

export interface ClusterOptions extends Omit<TemporalClusterOptions, 'ports' | 'uiServer' | 'logsDir'> {
  /** The service's own database; default: database `pos` in the same PostgreSQL. */
  databaseUrl?: string;
  /** Worker processes; default 1. */
  workers?: number;
  taskQueue?: string;
  /** 0 = a free port. Temporal 7233 also means the canonical ports for the server's internal services. */
  ports?: { temporal?: number; ui?: number; api?: number; zuz?: number; pms?: number; postgres?: number };
  /** The simulators' delays (SIM_TIME_SCALE); default 1. */
  simTimeScale?: number;
  /** Set on top of the worker and API processes' environment (e.g. the FLOW_* waits). */
  serviceEnv?: NodeJS.ProcessEnv;
}

export interface ClusterControl {
  /** Stops everything, in the reverse order of the start. */
  stop(): Promise<void>;
  /** For exit paths (a crash, a second Ctrl-C): kills every child process at once. */
  killNow(): void;
}

export interface RestartOptions {
  /** Default SIGKILL (kill -9); SIGTERM is the server's graceful stop. */
  signal?: 'SIGKILL' | 'SIGTERM';
  /** How long it stays down before the start; default 0. */
  downMs?: number;
}

/** The engine alone: PostgreSQL, the Temporal server on it with the namespace, optionally the UI server. */
export interface TemporalCluster extends ClusterControl {
  temporalAddress: string;
  /** The Temporal server's Prometheus endpoint. */
  temporalMetricsUrl: string;
  /** Unless started without the UI server. */
  uiUrl?: string;
  namespace: string;
  /** The PostgreSQL holding `temporal` and `temporal_visibility`. */
  postgres: { host: string; port: number; owned: boolean };
  logsDir: string;
  /** Creates a database in the cluster's PostgreSQL when missing; returns its postgres:// URL. */
  createDatabase(name: string): Promise<string>;
  temporalServerPid(): number | undefined;
  /** Every child process's pid, by part (PostgreSQL when private, the Temporal server, the UI server). */
  pids(): Record<string, number | undefined>;
  /** Stops the Temporal server process (kill -9 unless told otherwise), then starts it again on the same ports and database. */
  restartTemporalServer(options?: RestartOptions): Promise<void>;
}

export interface Cluster extends ClusterControl {
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
  /** kill -9 the Temporal server process (by default), then start it again on the same ports and database. */
  restartTemporalServer(options?: RestartOptions): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;

/** What has been started so far, in order: stopped in reverse, or killed at once. */
class Parts {
  readonly children = new Map<string, Child>();
  private readonly list: Array<{ name: string; stop: () => Promise<unknown>; kill: () => void }> = [];
  stopped = false;

  constructor(private readonly log: (line: string) => void) {}

  /** Throws (after registering it, so that the caller's clean-up stops it) when a stop came first. */
  add(name: string, stop: () => Promise<unknown>, kill: () => void = () => undefined): void {
    this.list.push({ name, stop, kill });
    if (this.stopped) throw new Error(`stopped while starting ${name}`);
  }

  addChild(name: string, child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): void {
    this.children.set(name, child);
    this.add(
      name,
      () => this.children.get(name)!.stop(signal, graceMs),
      () => this.children.get(name)?.killNow(),
    );
  }

  readonly killNow = (): void => this.list.forEach((part) => part.kill());

  readonly stop = async (): Promise<void> => {
    this.stopped = true;
    for (const part of this.list.splice(0).reverse()) {
      this.log(`stopping ${part.name}`);
      await part.stop().catch((err) => this.log(`  ${part.name}: ${(err as Error).message}`));
    }
  };
}

export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? (() => undefined);
  const binaries = options.binaries ?? clusterBinaries();
  const missing = missingClusterBinaries(binaries);
  if (missing) throw new Error(`Temporal cluster binaries: ${missing}`);
  const logsDir = options.logsDir ?? path.join(options.dataDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const namespace = options.namespace ?? 'default';
  const ports = options.ports ?? {};
  const parts = new Parts(log);
  const { stop, killNow } = parts;

  options.onStarting?.({ stop, killNow });
  try {
    let pg: ClusterPostgres;
    if (options.postgresUrl) {
      pg = externalPostgres(options.postgresUrl);
      log(`PostgreSQL: ${pg.host}:${pg.port} (TEMPORAL_POSTGRES_URL)`);
    } else {
      log('PostgreSQL: starting a private one');
      pg = await startPrivatePostgres({ dataDir: options.dataDir, logsDir, port: ports.postgres });
      parts.addChild('PostgreSQL', pg.child!, 'SIGINT', 30_000);
      log(`PostgreSQL: 127.0.0.1:${pg.port}, data in ${pg.dataDir}`);
    }

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
    parts.addChild('Temporal server', await startTemporalServer(serverOptions), 'SIGTERM', 30_000);
    const temporalAddress = `127.0.0.1:${serverOptions.ports.frontend}`;
    await ensureNamespace(temporalAddress, namespace, options.retentionDays ?? 3, log);

    let uiUrl: string | undefined;
    if (options.uiServer ?? true) {
      log('Temporal: starting the Web UI server');
      const ui = await startUiServer({
        binary: binaries.uiServer,
        temporalAddress,
        port: ports.ui || (await freePort()),
        namespace,
        codecEndpoint: options.codecEndpoint,
        configDir: path.join(options.dataDir, 'ui'),
        logFile: path.join(logsDir, 'ui-server.log'),
      });
      parts.addChild('Temporal UI server', ui.child);
      uiUrl = ui.url;
    }

    return {
      temporalAddress,
      temporalMetricsUrl: `http://127.0.0.1:${serverOptions.ports.metrics}/metrics`,
      uiUrl,
      namespace,
      postgres: { host: pg.host, port: pg.port, owned: !!pg.child },
      logsDir,
      async createDatabase(name) {
        await ensureDatabase(pg, name);
        return postgresUrl(pg, name);
      },
      temporalServerPid: () => parts.children.get('Temporal server')?.pid,
      pids: () => Object.fromEntries([...parts.children].map(([name, child]) => [name, child.pid])),
      async restartTemporalServer({ signal = 'SIGKILL', downMs = 0 } = {}) {
        const server = parts.children.get('Temporal server')!;
        if (signal === 'SIGKILL') {
          log('Temporal: kill -9 the server');
          await server.kill();
        } else {
          log(`Temporal: stopping the server (${signal})`);
          await server.stop(signal, 30_000);
        }
        if (downMs > 0) await sleep(downMs);
        if (parts.stopped) throw new Error('the cluster was stopped while the Temporal server was down');
        log('Temporal: starting the server again');
        const restarted = await startTemporalServer(serverOptions);
        parts.children.set('Temporal server', restarted);
        if (parts.stopped) {
          restarted.killNow();
          throw new Error('the cluster was stopped while the Temporal server was starting again');
        }
      },
      stop,
      killNow,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const dist = path.join(repoRoot(), 'dist');
  const ports = options.ports ?? {};
  const taskQueue = options.taskQueue ?? 'pos-transactions';

  // The service's parts, stopped before the engine's.
  const parts = new Parts(log);
  let engineControl: ClusterControl | undefined;
  const stop = async () => {
    await parts.stop();
    await engineControl?.stop();
  };
  const killNow = () => {
    parts.killNow();
    engineControl?.killNow();
  };

  options.onStarting?.({ stop, killNow });
  try {
    // Payloads are encrypted (keys under the data directory): the API serves the codec, the UI decodes through it.
    const encryption = sandboxEncryptionEnv(options.dataDir, process.env);
    const codecAddress = encryption.PAYLOAD_ENCRYPTION_KEYS ? `127.0.0.1:${await freePort()}` : undefined;
    // The codec server's token (issue 38): a fresh one per start, given to the Web UI in its endpoint's path.
    const codecToken = randomBytes(24).toString('base64url');
    const uiPort = ports.ui || (await freePort());
    const engine = await startTemporalCluster({
      ...options,
      ports: { temporal: ports.temporal, ui: uiPort, postgres: ports.postgres },
      uiServer: true,
      codecEndpoint: codecAddress && codecUiEndpoint(`http://${codecAddress}/codec`, codecToken),
      onStarting: (control) => (engineControl = control),
    });
    const { temporalAddress, namespace, logsDir } = engine;
    const databaseUrl = options.databaseUrl ?? (await engine.createDatabase('pos'));

    const credentials = {
      API_KEYS: process.env.API_KEYS || DEV_DEFAULTS.API_KEYS,
      ZUZ_APP_ID: process.env.ZUZ_APP_ID || DEV_DEFAULTS.ZUZ_APP_ID,
      ZUZ_PRIVATE_KEY: process.env.ZUZ_PRIVATE_KEY || DEV_DEFAULTS.ZUZ_PRIVATE_KEY,
      PMS_API_KEY: process.env.PMS_API_KEY || DEV_DEFAULTS.PMS_API_KEY,
    };
    const timeScale = options.simTimeScale ?? 1;
    const pms = await startPmsSimulator({
      port: ports.pms ?? 0,
      apiKey: credentials.PMS_API_KEY,
      merchants: merchantsOf(credentials.API_KEYS),
    });
    parts.add('PMS simulator', () => pms.close());
    const zuz = await startZuzSimulator({
      port: ports.zuz ?? 0,
      appId: credentials.ZUZ_APP_ID,
      privateKey: credentials.ZUZ_PRIVATE_KEY,
      timeScale,
    });
    parts.add('Zuz simulator', () => zuz.close());

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
      // Plain loopback, whatever the caller's shell or ~/.config/temporalio/temporal.toml say: no profile file
      // (/dev/null), no API key (empty = unset), TLS off (TEMPORAL_TLS=false outranks any TLS setting).
      TEMPORAL_CONFIG_FILE: '/dev/null',
      TEMPORAL_PROFILE: '',
      TEMPORAL_API_KEY: '',
      TEMPORAL_TLS: 'false',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '',
      DATABASE_URL: databaseUrl,
      // Encrypted payloads, as in production: the keys kept under the data directory (as npm start's).
      ...encryption,
      ...(codecAddress
        ? { CODEC_SERVER_ADDRESS: codecAddress, CODEC_SERVER_TOKEN: codecToken, CODEC_SERVER_CORS_ORIGINS: `http://127.0.0.1:${uiPort}` }
        : {}),
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
      parts.addChild(`worker-${i}`, worker, 'SIGTERM', 30_000);
      await waitFor(`worker-${i}`, () => httpOk(`http://127.0.0.1:${health}/readyz`), READY_TIMEOUT_MS, worker);
    }
    const api = new Child({
      name: 'API',
      command: process.execPath,
      args: [path.join(dist, 'api', 'server.js')],
      env: { ...serviceEnv, API_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` },
      logFile: path.join(logsDir, 'api.log'),
    });
    parts.addChild('API', api);
    await waitFor('API', () => httpOk(`${apiUrl}/readyz`), READY_TIMEOUT_MS, api);

    return {
      apiUrl,
      uiUrl: engine.uiUrl!,
      temporalAddress,
      temporalMetricsUrl: engine.temporalMetricsUrl,
      namespace,
      taskQueue,
      apiKey: loadApiConfig(serviceEnv).apiKeys[0].key,
      postgres: engine.postgres,
      databaseUrl,
      zuz,
      pms,
      logsDir,
      temporalServerPid: () => engine.temporalServerPid(),
      pids: () => ({ ...engine.pids(), ...Object.fromEntries([...parts.children].map(([name, child]) => [name, child.pid])) }),
      restartTemporalServer: (restart) => engine.restartTemporalServer(restart),
      stop,
      killNow,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

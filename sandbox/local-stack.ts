/**
 * The whole service on one machine, in one process tree: the Temporal dev server (a child
 * process), the Zuz and PMS simulators, the database, a worker and the API. `npm start` runs it
 * with fixed ports; the end-to-end tests run it on free ports.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Runtime, type NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import {
  loadApiConfig,
  loadDatabaseConfig,
  loadFlowOverrides,
  loadMerchantEventsWorkerConfig,
  loadTemporalConfig,
  loadWorkerOpsConfig,
} from '../src/shared/config';
import { DEV_DEFAULTS, loadDevConfig, merchantsOf } from './config';
import { startApiServer } from '../src/api/server';
import { codecUiEndpoint } from '../src/api/codec-server';
import { openDatabase, type Database } from '../src/shared/database';
import { startDevServer } from './dev-server';
import { freeLowPort } from './cluster/temporal-server';
import { startTemporalCluster } from './cluster/cluster';
import { logger, temporalLogger } from '../src/shared/logger';
import { connectClient, connectWorker, dataConverterOf } from '../src/shared/temporal';
import { payloadCodecOf } from '../src/shared/payload-codec';
import { prometheusTelemetry } from '../src/shared/metrics-exporter';
import { sandboxEncryptionEnv } from './payload-keys';
import { startPmsSimulator, type PmsSimulator } from './simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from './simulators/zuz';
import { activityConfig, createMerchantEventsWorker, createTransactionWorker, runWorkers } from '../src/worker';
import { ensureReconciliationSchedule, workflowLookup } from '../src/reconciliation/schedule';
import type { ProcessTransactionInput } from '../src/transaction/workflow/process-transaction';
import type { Tracing } from '../src/shared/tracing';
import { prebuiltWorkflowBundle } from '../src/shared/workflow-bundle';

type Env = Record<string, string | undefined>;

/** The embedded default's credentials, for the tests that sign as the sandbox does. */
export { DEV_DEFAULTS };

/** The environment of a throwaway stack (tests and tools): free ports, fast simulators, a fresh data folder. */
export function throwawayStackEnv(name: string, overrides: Env = {}): Env {
  return {
    ...process.env,
    TEMPORAL_PORT: '0',
    API_PORT: '0',
    API_METRICS_ADDRESS: '127.0.0.1:0',
    CODEC_SERVER_PORT: '0',
    ZUZ_SIM_PORT: '0',
    PMS_SIM_PORT: '0',
    SIM_TIME_SCALE: '0.001',
    POS_DATA_DIR: mkdtempSync(path.join(tmpdir(), `pos-${name}-`)),
    ...overrides,
  };
}

export interface LocalStackOptions {
  env?: Env;
  /** Keep history and data in POS_DATA_DIR (npm start); otherwise the server is in memory. */
  persist?: boolean;
  /** Serve the Temporal Web UI on TEMPORAL_UI_PORT (always on with `persist`). */
  webUi?: boolean;
  /** A workflow bundle (tests build their own); otherwise the one `npm run build` wrote, else bundled at start. */
  workflowBundle?: { code: string } | { codePath: string };
  flowOptions?: ProcessTransactionInput['options'];
  installRuntime?: boolean;
  /** OpenTelemetry tracing for the worker and the API's client (off when undefined). */
  tracing?: Tracing;
  /**
   * The Temporal it runs on: the CLI's dev server (default), or the production shape of
   * `npm run cluster` — the Temporal server on its own private PostgreSQL, in a temporary
   * directory removed at stop (the end-to-end suite runs on both in CI).
   */
  engine?: StackEngine;
}

export type StackEngine = 'dev-server' | 'cluster';

/** What the stack needs of its Temporal, whichever engine it is. */
export interface StackTemporal {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

export interface LocalStack {
  apiUrl: string;
  /** The API's Prometheus listener (API_METRICS_ADDRESS), apart from the public port. */
  apiMetricsUrl: string;
  uiUrl?: string;
  temporalAddress: string;
  apiKey: string;
  /** The codec server's endpoint, without its token (the Web UI is given `codecUiEndpoint(codecEndpoint, codecToken)`), when payloads are encrypted. */
  codecEndpoint?: string;
  /** The codec server's token (a fresh one per start). */
  codecToken?: string;
  /** The data converter of the stack's client and worker: the payload codec when encryption is on. */
  dataConverter: DataConverter;
  /** Its payload codec (undefined: payloads in clear), for tests and tools that read raw histories. */
  codec?: PayloadCodec;
  /** The environment the stack's worker and API were configured from (keys included). */
  env: Env;
  client: Client;
  db: Database;
  zuz: ZuzSimulator;
  pms: PmsSimulator;
  temporal: StackTemporal;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const baseEnv = options.env ?? process.env;
  const dev = loadDevConfig(baseEnv);
  const stoppers: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch((err) => logger.warn({ err: String(err) }, 'stop step failed'));
  };
  try {
    if (options.installRuntime !== false) {
      // This process stops its parts itself, in order; the SDK must not stop the worker on its own.
      Runtime.install({
        logger: temporalLogger(logger.child({ component: 'worker' })),
        shutdownSignals: [],
        telemetryOptions: prometheusTelemetry(loadWorkerOpsConfig(baseEnv).metricsAddress),
      });
    }
    // Payloads are encrypted as in production: the key is generated once and kept in the data directory.
    const encryption = sandboxEncryptionEnv(dev.dataDir, baseEnv);
    // Outside the ephemeral range: the dev server, started before the API binds this port, takes
    // ephemeral ports for its own services and could take a port picked from that range meanwhile.
    const codecPort = encryption.PAYLOAD_ENCRYPTION_KEYS ? dev.codecServerPort || (await freeLowPort()) : undefined;
    // The codec server asks for a token even here (issue 38): a fresh one per start, carried to the Web UI in its endpoint's path.
    const codecToken = codecPort ? randomBytes(24).toString('base64url') : undefined;
    const codecEndpoint = codecPort && codecToken ? codecUiEndpoint(`http://127.0.0.1:${codecPort}/codec`, codecToken) : undefined;
    const temporal =
      options.engine === 'cluster'
        ? await startThrowawayCluster(codecEndpoint, options.persist || options.webUi)
        : await startDevServer({
            cli: dev.temporalCli,
            port: dev.temporalPort,
            uiPort: options.persist || options.webUi ? dev.temporalUiPort : undefined,
            dbFile: options.persist ? path.join(dev.dataDir, 'temporal.sqlite') : undefined,
            logFile: path.join(dev.dataDir, 'temporal.log'),
            codecEndpoint,
          });
    stoppers.push(() => temporal.stop());

    const pms = await startPmsSimulator({
      port: dev.pmsSimPort,
      apiKey: baseEnv.PMS_API_KEY ?? DEV_DEFAULTS.PMS_API_KEY,
      // Customers are each merchant's own at PMS: the mock cards are seeded for every merchant the API has keys for,
      // and for one an operator creates at run time when it first sells.
      merchants: merchantsOf(baseEnv.API_KEYS || DEV_DEFAULTS.API_KEYS),
      seedOnFirstLookup: true,
    });
    stoppers.push(() => pms.close());
    const zuz = await startZuzSimulator({
      port: dev.zuzSimPort,
      appId: baseEnv.ZUZ_APP_ID ?? DEV_DEFAULTS.ZUZ_APP_ID,
      privateKey: baseEnv.ZUZ_PRIVATE_KEY ?? DEV_DEFAULTS.ZUZ_PRIVATE_KEY,
      timeScale: dev.simTimeScale,
    });
    stoppers.push(() => zuz.close());

    const env: Env = {
      ...DEV_DEFAULTS,
      TEMPORAL_ADDRESS: temporal.address,
      ZUZ_BASE_URL: zuz.url,
      PMS_BASE_URL: pms.url,
      POS_DATA_DIR: dev.dataDir,
      // The sandbox's codec server: loopback only, the Web UI's own origin only for a browser, and a
      // token (set below) that only the Web UI is given, in its codec endpoint's path: the dev
      // server's UI has no login and no other way to send one.
      CODEC_SERVER_CORS_ORIGINS: temporal.uiUrl ? uiOrigins(temporal.uiUrl) : undefined,
      ...baseEnv,
      // This stack's own Temporal, whatever profile the developer's temporal.toml holds (an API key, TLS).
      TEMPORAL_CONFIG_FILE: '/dev/null',
      TEMPORAL_PROFILE: undefined,
      ...encryption,
      CODEC_SERVER_ADDRESS: codecPort ? `127.0.0.1:${codecPort}` : undefined,
      CODEC_SERVER_TOKEN: codecToken,
    };
    const temporalConfig = loadTemporalConfig({ ...env, TEMPORAL_ADDRESS: temporal.address });
    const dataConverter = dataConverterOf(temporalConfig);
    const db = await openDatabase(options.persist || env.DATABASE_URL ? loadDatabaseConfig(env) : { inMemory: true });
    stoppers.push(() => db.close());

    const client = await connectClient(temporalConfig, options.tracing ? [options.tracing.plugin] : []);
    stoppers.push(() => client.connection.close());
    const connection: NativeConnection = await connectWorker(temporalConfig);
    stoppers.push(() => connection.close());
    const workerOptions = {
      connection,
      namespace: temporalConfig.namespace,
      db,
      ...activityConfig(env),
      workflowOf: workflowLookup(client),
      workflowBundle: options.workflowBundle ?? (options.tracing ? undefined : prebuiltWorkflowBundle()),
      plugins: options.tracing ? [options.tracing.plugin] : [],
      dataConverter,
    };
    const worker = await createTransactionWorker({ ...workerOptions, taskQueue: temporalConfig.taskQueue });
    // The merchants' event deliveries, on their own queue, as the worker process runs them (src/worker.ts).
    const merchantEvents = loadMerchantEventsWorkerConfig(env);
    const eventsWorker = await createMerchantEventsWorker({
      ...workerOptions,
      taskQueue: merchantEvents.taskQueue,
      maxConcurrentDeliveries: merchantEvents.maxConcurrentDeliveries,
    });
    const running = runWorkers([worker, eventsWorker]);
    stoppers.push(async () => {
      for (const w of [worker, eventsWorker]) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    });

    await ensureReconciliationSchedule(client, temporalConfig.taskQueue);
    const apiConfig = loadApiConfig(env);
    const api = await startApiServer({
      client,
      db,
      taskQueue: temporalConfig.taskQueue,
      config: apiConfig,
      log: logger.child({ component: 'api' }),
      flowOptions: options.flowOptions ?? loadFlowOverrides(env),
      codec: payloadCodecOf(dataConverter),
    });
    stoppers.push(() => api.close());
    zuz.setWebhookUrl(`${api.url}/webhooks/zuz`);

    return {
      apiUrl: api.url,
      apiMetricsUrl: api.metricsUrl,
      uiUrl: temporal.uiUrl,
      temporalAddress: temporal.address,
      apiKey: apiConfig.apiKeys[0].key,
      codecEndpoint: api.codecEndpoint,
      codecToken,
      dataConverter,
      codec: payloadCodecOf(dataConverter),
      env,
      client,
      db,
      zuz,
      pms,
      temporal,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The cluster of `npm run cluster` without the service's processes (this stack runs its own), on free ports below the ephemeral range. */
async function startThrowawayCluster(codecEndpoint: string | undefined, webUi = false): Promise<StackTemporal> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pos-stack-cluster-'));
  chmodSync(dataDir, 0o755); // run as root, PostgreSQL runs as its own user and makes its directory inside
  const cluster = await startTemporalCluster({
    dataDir,
    ports: { temporal: 0 }, // free ports (below 32768, as the server's membership table needs)
    uiServer: webUi,
    codecEndpoint,
  });
  return {
    address: cluster.temporalAddress,
    uiUrl: cluster.uiUrl,
    async stop() {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The Web UI's origin as a browser may spell it (127.0.0.1 or localhost), for the codec server's CORS. */
function uiOrigins(uiUrl: string): string {
  const { port } = new URL(uiUrl);
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`].join(',');
}

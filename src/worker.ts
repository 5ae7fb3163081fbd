/**
 * The worker: runs transaction workflows and their activities, and on a queue of their own the
 * merchants' event deliveries. Production entry point
 * (`npm run start:worker`); run as many as you like against the same Temporal and PostgreSQL.
 */
import { tracing } from './shared/tracing'; // first: instruments HTTP before anything loads it
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from './activities';
import {
  assertSafeForProduction,
  ConfigError,
  loadDatabaseConfig,
  loadDatabasePoolSize,
  loadMerchantEventsWorkerConfig,
  loadProvidersConfig,
  loadRiskLimits,
  loadTemporalConfig,
  loadWorkerOpsConfig,
  loadWorkerTuning,
  SANDBOX_WARNING,
  CLEAR_PAYLOADS_WARNING,
  type WorkerTuning,
} from './shared/config';
import { startHealthServer } from './shared/health-server';
import { prometheusTelemetry } from './shared/metrics-exporter';
import { openDatabase } from './shared/database';
import { prebuiltWorkflowBundle } from './shared/workflow-bundle';
import { logger, temporalLogger } from './shared/logger';
import { PmsClient } from './pms';
import { assertSearchAttributesRegistered, connectClient, connectWorker, dataConverterOf, isTemporalReachable } from './shared/temporal';
import { ZuzClient } from './zuz';
import { ensureReconciliationSchedule, workflowLookup } from './reconciliation/schedule';
import { startMerchantEventDispatcher } from './merchant-events/dispatcher';

export interface TransactionWorkerOptions extends ActivityDependencies {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build one per file); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  plugins?: WorkerOptions['plugins'];
  /** Task slots, pollers, sticky cache; unset: the SDK's defaults. */
  tuning?: WorkerTuning;
  /** The payload codec and failure converter (`dataConverterOf(temporalConfig)`): the same as the clients'. */
  dataConverter?: WorkerOptions['dataConverter'];
}

export function createTransactionWorker(options: TransactionWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, workflowBundle, shutdownGraceTime, plugins, tuning, dataConverter, ...dependencies } = options;
  return Worker.create({
    ...tuning,
    connection,
    namespace,
    taskQueue,
    dataConverter,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities(dependencies),
    // Let in-flight calls to Zuz finish on a deploy rather than be cut off mid-request.
    shutdownGraceTime: shutdownGraceTime ?? '10 seconds',
    plugins,
  });
}

/**
 * The worker of the merchants' event deliveries, on their own task queue with their own activity
 * slots (`loadMerchantEventsWorkerConfig` says why). It runs the same workflows and activities;
 * only delivery workflows are started on its queue. Deliveries are short: a small sticky cache.
 */
export function createMerchantEventsWorker(options: TransactionWorkerOptions & { maxConcurrentDeliveries: number }): Promise<Worker> {
  const { maxConcurrentDeliveries, tuning, ...rest } = options;
  return createTransactionWorker({
    ...rest,
    tuning: {
      maxConcurrentActivityTaskExecutions: maxConcurrentDeliveries,
      maxCachedWorkflows: Math.min(tuning?.maxCachedWorkflows ?? 50, 50),
    },
  });
}

/** Runs the workers until every one has stopped; one that fails stops the others, and its error goes on. */
export async function runWorkers(workers: Worker[]): Promise<void> {
  const runs = workers.map((worker) => worker.run());
  try {
    await Promise.all(runs);
  } catch (err) {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled(runs);
    throw err;
  }
}

/** The activities' outside dependencies but the database: provider clients and risk limits, from the environment. */
export function activityConfig(env: NodeJS.ProcessEnv = process.env) {
  const providers = loadProvidersConfig(env);
  return { zuz: new ZuzClient(providers.zuz), pms: new PmsClient(providers.pms), risk: loadRiskLimits(env) };
}

/** The payments' worker and the merchant event deliveries' own, from the environment's tuning. */
async function createWorkers(
  common: Omit<TransactionWorkerOptions, 'taskQueue' | 'tuning'>,
  taskQueue: string,
  merchantEvents: ReturnType<typeof loadMerchantEventsWorkerConfig>,
) {
  const tuning = loadWorkerTuning();
  const worker = await createTransactionWorker({ ...common, taskQueue, tuning });
  const eventsWorker = await createMerchantEventsWorker({
    ...common,
    taskQueue: merchantEvents.taskQueue,
    tuning,
    maxConcurrentDeliveries: merchantEvents.maxConcurrentDeliveries,
  });
  return { worker, eventsWorker };
}

async function main(): Promise<void> {
  // First, before anything connects: a deployment must not run on what is safe only against the simulators.
  if (assertSafeForProduction('worker') === 'skipped') logger.warn({ component: 'worker' }, SANDBOX_WARNING);
  const temporal = loadTemporalConfig();
  if (!temporal.payloadEncryption) logger.warn({ component: 'worker' }, CLEAR_PAYLOADS_WARNING);
  const databaseConfig = loadDatabaseConfig();
  const dependencies = activityConfig();
  const ops = loadWorkerOpsConfig();
  const merchantEvents = loadMerchantEventsWorkerConfig();
  Runtime.install({
    logger: temporalLogger(logger.child({ component: 'worker' })),
    // The SDK's metrics and the flow's, on one Prometheus endpoint, by Prometheus's conventions (see the module).
    telemetryOptions: prometheusTelemetry(ops.metricsAddress),
  });

  const plugins = tracing ? [tracing.plugin] : [];
  const client = await connectClient(temporal, plugins);
  // TEMPORAL_SEARCH_ATTRIBUTE_CHECK=off: where the OperatorService is not offered (Temporal Cloud), the attributes are created with tcld or the Cloud UI.
  if (temporal.checkSearchAttributes) await assertSearchAttributesRegistered(client, temporal.namespace);
  else
    logger.warn(
      { component: 'worker', namespace: temporal.namespace },
      'TEMPORAL_SEARCH_ATTRIBUTE_CHECK=off: not checking that the namespace has the search attributes TransactionStatus, CustomerId, TransactionAmount and MerchantId (a transaction cannot start without them)',
    );
  const db = await openDatabase('url' in databaseConfig ? { ...databaseConfig, poolMax: loadDatabasePoolSize() } : databaseConfig);
  const connection = await connectWorker(temporal);
  const common = {
    connection,
    namespace: temporal.namespace,
    db,
    ...dependencies,
    workflowOf: workflowLookup(client),
    shutdownGraceTime: `${ops.shutdownGraceSeconds} seconds` as const,
    plugins,
    dataConverter: dataConverterOf(temporal),
    // Tracing's workflow interceptors must be bundled in, so with tracing each worker bundles at start.
    workflowBundle: tracing ? undefined : prebuiltWorkflowBundle(),
  };
  const { worker, eventsWorker } = await createWorkers(common, temporal.taskQueue, merchantEvents);
  await ensureReconciliationSchedule(client, temporal.taskQueue);
  // The merchants' events outbox: new rows become delivery workflows on their own queue (docs/merchant-events.md).
  const dispatcher = startMerchantEventDispatcher({
    client,
    db,
    taskQueue: merchantEvents.taskQueue,
    onError: (err) =>
      logger.warn({ component: 'merchant-events', err: String(err) }, 'dispatching merchant events failed; next tick retries'),
  });
  const health = await startHealthServer(ops.health.host, ops.health.port, async () => ({
    worker: worker.getState() === 'RUNNING' && eventsWorker.getState() === 'RUNNING',
    temporal: await isTemporalReachable(client),
    database: await db.query('SELECT 1').then(
      () => true,
      () => false,
    ),
  }));
  logger.info(
    {
      taskQueue: temporal.taskQueue,
      merchantEventsTaskQueue: merchantEvents.taskQueue,
      namespace: temporal.namespace,
      address: temporal.address,
      health: health.url,
      metrics: `http://${ops.metricsAddress}/metrics`,
      payloadEncryption: temporal.payloadEncryption ? `key ${temporal.payloadEncryption.keyring.activeKeyId}` : 'off',
    },
    'worker started',
  );
  await runWorkers([worker, eventsWorker]); // The SDK shuts them down on SIGINT/SIGTERM, letting activities finish within the grace time.
  await dispatcher.stop();
  await health.close();
  await Promise.all([db.close(), connection.close(), client.connection.close(), tracing?.shutdown()]);
  logger.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    if (err instanceof ConfigError) console.error(err.message);
    else logger.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}

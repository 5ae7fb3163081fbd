/**
 * The engine-ceiling worker process (`node build/tools/bench/engine/worker.js`): the no-op
 * workflow on its own task queue (TEMPORAL_TASK_QUEUE), with the same tuning variables as the
 * production worker, and /readyz on WORKER_HEALTH_PORT so the bench can wait for it.
 */
import { Worker } from '@temporalio/worker';
import { ConfigError, loadTemporalConfig, loadWorkerOpsConfig, loadWorkerTuning } from '../../../src/shared/config';
import { startHealthServer } from '../../../src/shared/health-server';
import { connectClient, connectWorker, dataConverterOf, isTemporalReachable } from '../../../src/shared/temporal';
import { createEngineActivities } from './activities';

async function main(): Promise<void> {
  const temporal = loadTemporalConfig();
  const ops = loadWorkerOpsConfig();
  const client = await connectClient(temporal);
  const worker = await Worker.create({
    ...loadWorkerTuning(),
    connection: await connectWorker(temporal),
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: createEngineActivities(client),
    // The same payload codec as the flow's workers: the engine ceiling pays for encryption too.
    dataConverter: dataConverterOf(temporal),
  });
  const health = await startHealthServer(ops.health.host, ops.health.port, async () => ({
    worker: worker.getState() === 'RUNNING',
    temporal: await isTemporalReachable(client),
  }));
  await worker.run(); // stops on SIGINT/SIGTERM
  await health.close();
  await client.connection.close();
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});

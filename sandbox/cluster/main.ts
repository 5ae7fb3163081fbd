/**
 * `npm run cluster [-- --workers N]`: the service on a production-shape Temporal (the server on
 * PostgreSQL, the standalone Web UI server), each part its own process. Ports are npm start's
 * (Temporal 7233, UI 8233, API 3000, Zuz 4100, PMS 4200; the same variables override them);
 * PostgreSQL is TEMPORAL_POSTGRES_URL, else a private one under POS_DATA_DIR/cluster (default
 * ./.data/cluster), so a restart keeps every workflow. Ctrl-C or SIGTERM stops it all, in order.
 */
import path from 'node:path';
import { ConfigError } from '../../src/shared/config';
import { loadDevConfig } from '../config';
import { startCluster, type Cluster } from './cluster';

function parseWorkers(argv: string[]): number {
  const at = argv.findIndex((a) => a === '--workers' || a.startsWith('--workers='));
  if (at < 0) return 1;
  const value = argv[at].includes('=') ? argv[at].split('=')[1] : argv[at + 1];
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new ConfigError(`--workers: must be an integer 1-32 (got "${value}")`);
  return n;
}

let stopping = false;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: npm run cluster [-- --workers N]   (see docs/cluster.md)');
    return;
  }
  const workers = parseWorkers(argv);
  const dev = loadDevConfig(process.env);
  const dataDir = path.join(dev.dataDir, 'cluster');
  const say = (line: string) => console.log(`[cluster] ${line}`);

  let cluster: Cluster | undefined;
  let starting: { stop(): Promise<void>; killNow(): void } | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) {
      say(`${signal} again: killing everything now`);
      (cluster ?? starting)?.killNow();
      process.exit(130);
    }
    stopping = true;
    say(`${signal}: stopping (again to kill at once)`);
    await (cluster ?? starting)?.stop();
    process.exit(cluster ? 0 : 130);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  cluster = await startCluster({
    dataDir,
    postgresUrl: process.env.TEMPORAL_POSTGRES_URL || undefined,
    databaseUrl: process.env.DATABASE_URL || undefined,
    workers,
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: process.env.TEMPORAL_TASK_QUEUE || undefined,
    ports: {
      temporal: dev.temporalPort,
      ui: dev.temporalUiPort,
      api: Number(process.env.API_PORT || 3000),
      zuz: dev.zuzSimPort,
      pms: dev.pmsSimPort,
    },
    simTimeScale: dev.simTimeScale,
    log: say,
    onStarting: (control) => (starting = control),
  });
  const c = cluster;
  console.log(
    [
      '',
      `POS payment service on a production-shape Temporal (${workers} worker process${workers > 1 ? 'es' : ''}):`,
      `  API          ${c.apiUrl}   (Authorization: Bearer ${c.apiKey})`,
      `  Temporal UI  ${c.uiUrl}   (namespace ${c.namespace})`,
      `  Temporal     ${c.temporalAddress}   (metrics ${c.temporalMetricsUrl})`,
      `  PostgreSQL   ${c.postgres.host}:${c.postgres.port}   (temporal, temporal_visibility${c.databaseUrl.endsWith('/pos') ? ', pos' : ''})`,
      `  Zuz sim      ${c.zuz.url}`,
      `  PMS sim      ${c.pms.url}`,
      `  Logs         ${c.logsDir}`,
      '',
      'Try:',
      `  curl -s -X POST ${c.apiUrl}/v1/transactions -H 'Authorization: Bearer ${c.apiKey}' -H 'Content-Type: application/json' \\`,
      `    -d '{"transactionId":"tx-1","customerId":"cus_demo","paymentMethodId":"pm_approved","amount":1250,"currency":"EUR"}'`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
}

main().catch((err) => {
  if (stopping) return; // a Ctrl-C while starting: the shutdown handler finishes and exits
  console.error(
    err instanceof ConfigError ? err.message : `Could not start the cluster: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});

/**
 * The API server. Production entry point (`npm run start:api`); run as many as you like behind
 * a load balancer. It refuses to start without API keys.
 */
import { tracing } from '../infrastructure/tracing'; // first: instruments HTTP before express loads it
import { createServer, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import {
  ConfigError,
  loadApiConfig,
  loadDatabaseConfig,
  loadDatabasePoolSize,
  loadFlowOverrides,
  loadTemporalConfig,
  type ApiConfig,
} from '../config';
import { openDatabase } from '../infrastructure/database';
import { logger, type Logger } from '../infrastructure/logger';
import { connectClient } from '../infrastructure/temporal';
import { createApp, type AppOptions } from './app';

export async function startApiServer(
  options: AppOptions & { config: ApiConfig },
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const app = createApp(options);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`API_PORT ${options.config.port} on ${options.config.host} is already in use`) : err),
    );
    server.listen(options.config.port, options.config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.config.port;
  return {
    server,
    url: `http://${options.config.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const config = loadApiConfig();
  const temporal = loadTemporalConfig();
  const client: Client = await connectClient(temporal, tracing ? [tracing.plugin] : []);
  const log: Logger = logger.child({ component: 'api' });
  const databaseConfig = loadDatabaseConfig();
  const db = await openDatabase('url' in databaseConfig ? { ...databaseConfig, poolMax: loadDatabasePoolSize() } : databaseConfig);
  const api = await startApiServer({ client, db, taskQueue: temporal.taskQueue, config, log, flowOptions: loadFlowOverrides() });
  log.info({ url: api.url }, 'API listening');
  const stop = async () => {
    await api.close();
    await client.connection.close();
    await db.close();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (require.main === module) {
  main().catch((err) => {
    if (err instanceof ConfigError) console.error(err.message);
    else logger.fatal({ err }, 'API failed to start');
    process.exit(1);
  });
}

/**
 * The API server. Production entry point (`npm run start:api`); run as many as you like behind
 * a load balancer. It refuses to start without API keys, and with sandbox credentials or short
 * secrets unless POS_SANDBOX=true. Its Prometheus metrics have a listener of their own
 * (API_METRICS_ADDRESS), so the public port never shows them; so does the codec server for the
 * Web UI (CODEC_SERVER_ADDRESS, opt-in: src/api/codec-server.ts).
 */
import { tracing } from '../shared/tracing'; // first: instruments HTTP before express loads it
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import {
  assertSafeForProduction,
  ConfigError,
  isProduction,
  loadApiConfig,
  loadDatabaseConfig,
  loadDatabasePoolSize,
  loadDatabaseStatementTimeout,
  productionWarnings,
  loadFlowOverrides,
  loadTemporalConfig,
  SANDBOX_WARNING,
  CLEAR_PAYLOADS_WARNING,
  type ApiConfig,
} from '../shared/config';
import { openDatabase } from '../shared/database';
import { logger, type Logger } from '../shared/logger';
import { connectClient, dataConverterOf } from '../shared/temporal';
import { payloadCodecOf } from '../shared/payload-codec';
import { createApp, type AppOptions } from './app';
import { startCodecServer } from './codec-server';
import { createApiMetrics, type ApiMetrics } from './metrics';

export async function startApiServer(
  options: AppOptions & {
    config: AppOptions['config'] & Pick<ApiConfig, 'host' | 'port' | 'metrics'> & Partial<Pick<ApiConfig, 'codecServer'>>;
    /** The payload codec the codec server serves (with `config.codecServer`); the client's own. */
    codec?: PayloadCodec;
  },
): Promise<{ server: Server; url: string; metricsUrl: string; codecEndpoint?: string; close(): Promise<void> }> {
  const metrics = options.metrics ?? createApiMetrics();
  // Keys issued in production say pos_live_, any other pos_test_: a key pasted in the wrong place shows where it belongs.
  const app = createApp({ ...options, metrics, liveKeys: isProduction() });
  const server = createServer(app);
  const metricsServer = createServer((req, res) => void serveMetrics(metrics, req, res));
  const { host, port, codecServer } = options.config;
  if (codecServer && !options.codec)
    throw new Error('CODEC_SERVER_ADDRESS: the codec server needs the payload codec (PAYLOAD_ENCRYPTION_KEYS)');
  const url = await listen(server, host, port, `API_PORT ${port} on ${host}`);
  const closers = [() => closeServer(server)];
  const closeAll = async () => void (await Promise.all(closers.map((close) => close())));
  try {
    const metricsUrl = await listen(metricsServer, options.config.metrics.host, options.config.metrics.port, 'API_METRICS_ADDRESS');
    closers.push(() => closeServer(metricsServer));
    const codec =
      codecServer && options.codec
        ? await startCodecServer({ ...codecServer, codec: options.codec, log: options.log.child({ component: 'codec-server' }) })
        : undefined;
    if (codec) closers.push(() => codec.close());
    return { server, url, metricsUrl, codecEndpoint: codec?.endpoint, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** GET /metrics and nothing else: Prometheus scrapes this listener, which is never the public one. */
async function serveMetrics({ registry }: ApiMetrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
  const body = await registry.metrics().catch(() => undefined);
  if (body === undefined) return void res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable\n');
  res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
}

async function listen(server: Server, host: string, port: number, what: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`${what}: ${host}:${port} is already in use`) : err),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function main(): Promise<void> {
  // First, before anything connects: a deployment must not run on what is safe only against the simulators.
  const safety = assertSafeForProduction('api');
  const config = loadApiConfig();
  const temporal = loadTemporalConfig();
  const log: Logger = logger.child({ component: 'api' });
  if (safety === 'skipped') log.warn(SANDBOX_WARNING);
  for (const warning of productionWarnings('api')) log.warn(warning);
  if (!temporal.payloadEncryption) log.warn(CLEAR_PAYLOADS_WARNING);
  const client: Client = await connectClient(temporal, tracing ? [tracing.plugin] : []);
  const databaseConfig = loadDatabaseConfig();
  const db = await openDatabase(
    'url' in databaseConfig
      ? { ...databaseConfig, poolMax: loadDatabasePoolSize(), statementTimeoutMs: loadDatabaseStatementTimeout() }
      : databaseConfig,
  );
  const api = await startApiServer({
    client,
    db,
    taskQueue: temporal.taskQueue,
    config,
    log,
    flowOptions: loadFlowOverrides(),
    codec: payloadCodecOf(dataConverterOf(temporal)),
  });
  log.info({ url: api.url, metrics: `${api.metricsUrl}/metrics`, codecServer: api.codecEndpoint }, 'API listening');
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

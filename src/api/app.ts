/** The HTTP API as an express app: routes, authentication, body limits and the one error shape. */
import { hkdfSync } from 'node:crypto';
import express from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { ApiConfig } from '../config';
import type { Logger } from '../infrastructure/logger';
import { merchantsOnly, requireApiKey } from './auth';
import { allowOnly, errorHandler, sendError } from './errors';
import { transactionsRouter, type TransactionsRouterOptions } from './transactions';
import { zuzWebhookRouter } from './webhooks';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { rateLimitPerKey } from './rate-limit';
import { docsRouter } from './docs';
import { isTemporalReachable } from '../infrastructure/temporal';
import type { Database } from '../infrastructure/database';
import { TransactionRecords } from '../infrastructure/transaction-record';
import { RefundRecords } from '../infrastructure/refund-record';
import { ReconciliationStore } from '../infrastructure/reconciliation-store';
import { reconciliationRouter } from './reconciliation';
import { customerPseudonym } from '../infrastructure/payload-codec';

export interface AppOptions {
  client: Client;
  /** The application database: the transaction record the API consults before Temporal. */
  db: Database;
  taskQueue: string;
  config: Pick<ApiConfig, 'apiKeys' | 'webhook' | 'rateLimitPerMinute' | 'customerPseudonymKey'> & Partial<Pick<ApiConfig, 'operatorKeys'>>;
  log: Logger;
  flowOptions?: TransactionsRouterOptions['flowOptions'];
  /** The registry the app counts into; served by the caller on a listener of its own (startApiServer). Default: a new one. */
  metrics?: ApiMetrics;
}

export function createApp({ client, db, taskQueue, config, log, flowOptions, metrics = createApiMetrics() }: AppOptions): express.Express {
  const app = express();
  const records = new TransactionRecords(db);
  const reconciliation = new ReconciliationStore(db);
  app.disable('x-powered-by');
  app.use(metrics.middleware);
  // Security headers (CSP, nosniff, frame and referrer policies, HSTS...); answers are never cached.
  app.use(helmet());
  app.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    // Ready means the API can reach Temporal (it keeps no other state).
    const temporal = await isTemporalReachable(client);
    res.status(temporal ? 200 : 503).json({ status: temporal ? 'ready' : 'not_ready', checks: { temporal } });
  });
  // No /metrics here: it is served apart from the public port (API_METRICS_ADDRESS).
  app.all(['/healthz', '/readyz'], allowOnly('GET', 'HEAD'));
  app.use(docsRouter()); // /openapi.json and /docs: public, no key
  app.use(
    '/webhooks/zuz',
    zuzWebhookRouter({
      client,
      records,
      privateKey: config.webhook.privateKey,
      maxAgeMs: config.webhook.maxAgeMs,
      log,
      count: metrics.webhook,
    }),
  );
  app.use(
    '/v1',
    requireApiKey(config.apiKeys, config.operatorKeys),
    ...(config.rateLimitPerMinute ? [rateLimitPerKey({ limit: config.rateLimitPerMinute })] : []),
    express.json({ limit: '16kb', type: () => true }),
  );
  app.use('/v1/reconciliation', reconciliationRouter(reconciliation));
  app.use(
    '/v1/transactions',
    merchantsOnly,
    transactionsRouter({
      client,
      records,
      taskQueue,
      flowOptions,
      cursorKey: cursorKeyFrom(config.webhook.privateKey),
      refunds: new RefundRecords(db),
      customerSearchValue: pseudonymsUnder(config.customerPseudonymKey),
    }),
  );

  app.use((_req, res) => sendError(res, 404, 'not_found', 'No such route'));
  app.use(errorHandler(log));
  return app;
}

/** With payload encryption on, the CustomerId search attribute holds a keyed pseudonym (src/infrastructure/payload-codec.ts). */
function pseudonymsUnder(key: Buffer | undefined): TransactionsRouterOptions['customerSearchValue'] {
  return key ? (merchantId, customerId) => customerPseudonym(key, merchantId, customerId) : undefined;
}

/**
 * The key that signs list cursors, derived from the API's one secret (the Zuz key it already
 * holds to verify webhooks) under its own label: every API process derives the same key, so a
 * cursor from one is good at another, and it is never the webhook key itself.
 */
function cursorKeyFrom(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'pos-payments', 'list-cursor-v1', 32));
}

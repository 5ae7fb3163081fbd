/** The HTTP API as an express app: routes, authentication, body limits and the one error shape. */
import { randomBytes } from 'node:crypto';
import express from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { ApiConfig } from '../shared/config';
import type { Logger } from '../shared/logger';
import { allowRoles, merchantsOnly, requireApiKey } from './auth';
import { assignRequestId } from './request-id';
import { recordAudit } from '../merchants/audit-routes';
import { auditRouter, merchantsRouter } from '../merchants/routes';
import { reportsRouter } from '../settlement/routes';
import { operatorRouter } from '../reconciliation/operator-routes';
import { MerchantStore } from '../merchants/store';
import { AuditLog } from '../merchants/audit-log';
import { allowOnly, errorHandler, sendError } from './errors';
import { transactionsRouter, type TransactionsRouterOptions } from '../transaction/routes';
import { zuzWebhookRouter } from '../zuz/webhook-routes';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { limitConcurrentPerMerchant, rateLimitFailedAuthentications, rateLimitPerKey } from './rate-limit';
import { docsRouter } from './docs';
import { isTemporalReachable } from '../shared/temporal';
import type { Database } from '../shared/database';
import { TransactionRecords } from '../transaction/record';
import { RefundRecords } from '../refund/record';
import { ReconciliationStore } from '../reconciliation/store';
import { reconciliationRouter } from '../reconciliation/routes';
import { webhookEndpointsRouter } from '../merchant-events/endpoint-routes';
import { eventsRouter } from '../merchant-events/event-routes';
import { customerPseudonym } from '../shared/payload-codec';

export interface AppOptions {
  client: Client;
  /** The application database: the transaction record the API consults before Temporal. */
  db: Database;
  taskQueue: string;
  config: Pick<ApiConfig, 'apiKeys' | 'webhook' | 'rateLimitPerMinute' | 'customerPseudonymKey'> &
    Partial<Pick<ApiConfig, 'operatorKeys' | 'cursorKey' | 'failedAuthLimitPerMinute' | 'listConcurrencyPerMerchant'>>;
  log: Logger;
  flowOptions?: TransactionsRouterOptions['flowOptions'];
  /** The registry the app counts into; served by the caller on a listener of its own (startApiServer). Default: a new one. */
  metrics?: ApiMetrics;
  /** Issued keys say `pos_live_` (production) or `pos_test_` (anything else). */
  liveKeys?: boolean;
}

export function createApp(options: AppOptions): express.Express {
  const app = express();
  const { client, db, config, log, metrics = createApiMetrics() } = options;
  const records = new TransactionRecords(db);
  app.disable('x-powered-by');
  app.use(assignRequestId);
  app.use(metrics.middleware);
  // Security headers (CSP, nosniff, frame and referrer policies, HSTS...); answers are never cached.
  app.use(helmet());
  app.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });
  mountPublicRoutes(app, client);
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
  mountKeyedRoutes(app, options, records);
  app.use((_req, res) => sendError(res, 404, 'not_found', 'No such route'));
  app.use(errorHandler(log));
  return app;
}

/** Health, readiness and the API's documentation: no key. */
function mountPublicRoutes(app: express.Express, client: Client): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const temporalReachable = cachedFor(READINESS_CACHE_MS, () => isTemporalReachable(client));
  app.get('/readyz', async (_req, res) => {
    // Ready means the API can reach Temporal (it keeps no other state); asked at most once per READINESS_CACHE_MS,
    // so that an unauthenticated caller polling /readyz cannot make the API call Temporal at its own pace.
    const temporal = await temporalReachable();
    res.status(temporal ? 200 : 503).json({ status: temporal ? 'ready' : 'not_ready', checks: { temporal } });
  });
  // No /metrics here: it is served apart from the public port (API_METRICS_ADDRESS).
  app.all(['/healthz', '/readyz'], allowOnly('GET', 'HEAD'));
  app.use(docsRouter()); // /openapi.json and /docs: public, no key
}

/** Everything under /v1: a key, its limits and the audit first, then each process's routes behind the roles they need. */
function mountKeyedRoutes(
  app: express.Express,
  { client, db, taskQueue, config, log, flowOptions, liveKeys = false }: AppOptions,
  records: TransactionRecords,
): void {
  const reconciliation = new ReconciliationStore(db);
  const merchants = new MerchantStore(db);
  app.use(
    '/v1',
    rateLimitFailedAuthentications({ limit: config.failedAuthLimitPerMinute ?? DEFAULT_FAILED_AUTH_LIMIT_PER_MINUTE }),
    requireApiKey(config.apiKeys, config.operatorKeys, log, merchants),
    ...(config.rateLimitPerMinute ? [rateLimitPerKey({ limit: config.rateLimitPerMinute })] : []),
    express.json({ limit: '16kb', type: () => true }),
    recordAudit(new AuditLog(db), log),
  );
  app.use('/v1/reconciliation', allowRoles('back-office', 'operator'), reconciliationRouter(reconciliation));
  app.use('/v1/merchants', merchantsRouter(merchants, { liveKeys }));
  app.use('/v1/audit-events', auditRouter(new AuditLog(db)));
  app.use('/v1/reports', reportsRouter(db, merchants));
  app.use('/v1/operator', operatorRouter(reconciliation, client, taskQueue));
  // A till sells (create, read, capture, cancel); refunds and the list are the back office's.
  app.post('/v1/transactions/:id/refunds', merchantsOnly, allowRoles('back-office'));
  // The list may read many rows of one merchant: a bound per merchant keeps the shared pool for the others.
  app.get(
    '/v1/transactions',
    merchantsOnly,
    allowRoles('back-office'),
    limitConcurrentPerMerchant({ limit: config.listConcurrencyPerMerchant ?? DEFAULT_LIST_CONCURRENCY_PER_MERCHANT }),
  );
  app.use(
    '/v1/transactions',
    merchantsOnly,
    transactionsRouter({
      client,
      records,
      taskQueue,
      flowOptions,
      // Its own key (API_CURSOR_KEY), never one derived from a secret Zuz also holds; without one, this process's own.
      cursorKey: config.cursorKey ?? randomBytes(32),
      refunds: new RefundRecords(db),
      customerSearchValue: pseudonymsUnder(config.customerPseudonymKey),
    }),
  );
  // Event notifications are the back office's to configure and read (a till key is refused).
  app.use('/v1/webhook-endpoints', merchantsOnly, allowRoles('back-office'), webhookEndpointsRouter(db));
  app.use('/v1/events', merchantsOnly, allowRoles('back-office'), eventsRouter(db));
}

/** With payload encryption on, the CustomerId search attribute holds a keyed pseudonym (src/shared/payload-codec.ts). */
function pseudonymsUnder(key: Buffer | undefined): TransactionsRouterOptions['customerSearchValue'] {
  return key ? (merchantId, customerId) => customerPseudonym(key, merchantId, customerId) : undefined;
}

/** How long one answer of Temporal's reachability serves /readyz. */
export const READINESS_CACHE_MS = 5_000;
/** Failed authentications per client address per minute before its requests are refused (API_FAILED_AUTH_LIMIT_PER_MINUTE). */
export const DEFAULT_FAILED_AUTH_LIMIT_PER_MINUTE = 30;
/** Lists of one merchant in progress at once per API process (API_LIST_CONCURRENCY_PER_MERCHANT). */
export const DEFAULT_LIST_CONCURRENCY_PER_MERCHANT = 2;

/** `check`'s answer, asked again only once `ms` have passed since it was last asked (callers meanwhile share it). */
function cachedFor<T>(ms: number, check: () => Promise<T>): () => Promise<T> {
  let last: { at: number; answer: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ms) last = { at: now, answer: check() };
    return last.answer;
  };
}

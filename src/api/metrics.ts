/**
 * The API's Prometheus metrics (prom-client): requests by route and status, and what became of
 * each Zuz webhook. A registry per app, so several apps in one process (tests) do not collide.
 */
import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type WebhookOutcome = 'delivered' | 'stored' | 'ignored' | 'duplicate' | 'rejected' | 'unavailable';

export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pos_api_' });
  const requests = new Counter({
    name: 'pos_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'pos_http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'pos_zuz_webhooks_total',
    help: 'Zuz webhooks by outcome: delivered to the workflow, ignored (nothing to deliver to), rejected (bad signature or body), unavailable (Zuz will retry)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  /** Counts every request once it is answered, labelled by the route pattern (not the raw path: ids would explode the label set). */
  const middleware: RequestHandler = (req, res, next) => {
    const stop = latency.startTimer();
    res.on('finish', () => {
      // Express types req.route as any; set only when a route matched.
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath ? `${req.baseUrl}${routePath === '/' ? '' : routePath}` || '/' : 'unmatched';
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      stop({ method: req.method, route });
    });
    next();
  };

  return {
    registry,
    middleware,
    webhook: (outcome: WebhookOutcome) => webhooks.inc({ outcome }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the very zod schemas the routes
 * validate with (schemas.ts, and Zuz's wire format for the webhook) plus the response schemas
 * (response-schemas.ts), so the document cannot promise a request the API would refuse.
 * Every status code a route can answer is listed, with the error codes behind it.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { BEARER, answers } from './openapi-parts';
import { healthSchema, readinessSchema } from './response-schemas';
import { registerTransactionRoutes } from '../transaction/openapi';
import { registerRefundRoutes } from '../refund/openapi';
import { registerMerchantRoutes } from '../merchants/openapi';
import { registerSettlementRoutes } from '../settlement/openapi';
import { registerReconciliationRoutes } from '../reconciliation/openapi';
import { registerZuzWebhookRoute } from '../zuz/openapi';
import { registerMerchantEventRoutes } from '../merchant-events/openapi';

let cached: object | undefined;

/** Built on first use and then shared: frozen, so no caller can change what every later caller gets. */
export function openApiDocument(): object {
  cached ??= deepFreeze(buildDocument());
  return cached;
}

function buildDocument(): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    description: 'One of the keys configured in API_KEYS (several may be valid at once, for rotation)',
  });
  registerTransactionRoutes(registry);
  registerRefundRoutes(registry);
  registerMerchantRoutes(registry);
  registerSettlementRoutes(registry);
  registerReconciliationRoutes(registry);
  registerZuzWebhookRoute(registry);
  registerOperationsRoutes(registry);
  registerMerchantEventRoutes(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'POS payments API',
      version: '1.0.0',
      description:
        'Point-of-sale payment transactions, each a durable Temporal workflow that authorizes a saved card at Zuz and captures or voids it. Every error has one shape: `{"error": {"code", "message", "details?"}}`.',
    },
    tags: [
      { name: 'Transactions', description: 'Needs `Authorization: Bearer <key>`' },
      { name: 'Merchants', description: 'Operators: merchants, their keys, and the audit trail' },
      { name: 'Operators', description: "Acting on the reconciliation's findings across merchants" },
      { name: 'Webhooks', description: 'Signed by Zuz' },
      { name: 'Merchant events', description: "Signed events sent to the merchant's endpoints; needs `Authorization: Bearer <key>`" },
      { name: 'Operations' },
      { name: 'Documentation', description: 'No key needed' },
    ],
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function registerOperationsRoutes(registry: OpenAPIRegistry): void {
  documentHealth(registry);
  documentReadiness(registry);
  documentOpenApiDocument(registry);
  documentDocsPage(registry);
}

function documentHealth(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tags: ['Operations'],
    summary: 'Liveness',
    responses: { 200: answers('The process is up', healthSchema) },
  });
}

function documentReadiness(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'readiness',
    tags: ['Operations'],
    summary: 'Readiness: the API can reach Temporal',
    responses: {
      200: answers('Ready', readinessSchema),
      503: answers('Not ready: Temporal did not answer', readinessSchema),
    },
  });
}

function documentOpenApiDocument(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    tags: ['Documentation'],
    summary: 'This document',
    responses: { 200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
}

function documentDocsPage(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/docs',
    operationId: 'docsPage',
    tags: ['Documentation'],
    summary: 'This document, rendered (Swagger UI)',
    responses: { 200: { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
  });
}

/** The OpenAPI entries of /v1/webhook-endpoints and /v1/events (registered by openapi.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { answers, error, v1 } from '../api/openapi-parts';
import {
  attemptListSchema,
  attemptsQuery,
  createEndpointSchema,
  endpointIdParam,
  endpointListSchema,
  endpointSchema,
  endpointWithSecretSchema,
  eventIdParam,
  eventPageSchema,
  listEventsQuery,
  redeliverySchema,
} from './schemas';

const common = {
  401: error('`unauthorized`: no valid `Authorization: Bearer <key>`'),
  403: error(
    "`forbidden`: these routes need a merchant's back-office key (a till key is refused, and an operator key acts for no merchant)",
  ),
  429: error('`rate_limited`: this API key made more requests than its limit per minute'),
  500: error('`internal_error`: something failed on our side; the request may be retried'),
};
const endpointParams = z.object({ id: endpointIdParam });
const tags = ['Merchant events'];

export function registerMerchantEventRoutes(registry: OpenAPIRegistry): void {
  registerEndpointPaths(registry);
  registerOneEndpointPaths(registry);
  registerEventPaths(registry);
}

/** /v1/webhook-endpoints: where a merchant's events go (registering and listing). */
function registerEndpointPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    ...v1,
    tags,
    method: 'post',
    path: '/v1/webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Register an endpoint that receives signed events',
    description:
      'Every event of the listed types (all types when `events` is absent) is POSTed to `url`, signed with `Pos-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under the returned `secret` (shown only in this answer), at least once: retried with exponential backoff for 3 days until a 2xx; a 410 disables the endpoint. See docs/merchant-events.md.',
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: createEndpointSchema(false).meta({ id: 'CreateWebhookEndpointRequest' }),
            example: { url: 'https://example.com/pos-events', events: ['transaction.succeeded', 'refund.succeeded'] },
          },
        },
      },
    },
    responses: {
      201: answers('The endpoint, with its secret (shown once)', endpointWithSecretSchema),
      400: error(
        '`invalid_request`: `url` is not https:// (or loopback http:// in the sandbox), or an event type is unknown; `invalid_json`',
      ),
      413: error('`body_too_large`: the body is over 16 kB'),
      ...common,
    },
  });

  registry.registerPath({
    ...v1,
    tags,
    method: 'get',
    path: '/v1/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    summary: "The merchant's endpoints (disabled ones too), without their secrets",
    responses: { 200: answers('The endpoints', endpointListSchema), ...common },
  });
}

/** /v1/webhook-endpoints/{id}: one endpoint. */
function registerOneEndpointPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    ...v1,
    tags,
    method: 'delete',
    path: '/v1/webhook-endpoints/{id}',
    operationId: 'disableWebhookEndpoint',
    summary: 'Disable an endpoint: no event is sent to it again (idempotent)',
    request: { params: endpointParams },
    responses: {
      200: answers('The endpoint, disabled', endpointSchema),
      400: error('`invalid_request`: the id is malformed'),
      404: error("`not_found`: no such endpoint of this merchant's"),
      ...common,
    },
  });

  registry.registerPath({
    ...v1,
    tags,
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/rotate-secret',
    operationId: 'rotateWebhookEndpointSecret',
    summary: 'A new secret; the old one still signs, alongside it, for 24 hours',
    description: 'During the grace period every event carries two `v1=` signatures; a receiver accepts either of its secrets.',
    request: { params: endpointParams },
    responses: {
      200: answers('The endpoint with its new secret (shown once)', endpointWithSecretSchema),
      400: error('`invalid_request`: the id is malformed'),
      404: error("`not_found`: no such endpoint of this merchant's"),
      409: error('`invalid_state`: the endpoint is disabled'),
      ...common,
    },
  });

  registry.registerPath({
    ...v1,
    tags,
    method: 'get',
    path: '/v1/webhook-endpoints/{id}/attempts',
    operationId: 'listWebhookAttempts',
    summary: 'Every delivery attempt to the endpoint, newest first: time, event, status code or error, duration',
    request: { params: endpointParams, query: attemptsQuery },
    responses: {
      200: answers('The attempts', attemptListSchema),
      400: error('`invalid_request`: the id or `limit` is malformed'),
      404: error("`not_found`: no such endpoint of this merchant's"),
      ...common,
    },
  });
}

/** /v1/events: what happened, as sent. */
function registerEventPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    ...v1,
    tags,
    method: 'get',
    path: '/v1/events',
    operationId: 'listEvents',
    summary: "The merchant's events of the last 30 days, newest first",
    description:
      'Each event: `{id, type, created, sequence, transactionId, requestId?, data}`, `data` the transaction or refund as GET shows it. Delivery order is not promised: order by `sequence` within a transaction.',
    request: { query: listEventsQuery },
    responses: {
      200: answers('A page of events', eventPageSchema),
      400: error('`invalid_request`: a query parameter is wrong or unknown'),
      ...common,
    },
  });

  registry.registerPath({
    ...v1,
    tags,
    method: 'post',
    path: '/v1/events/{id}/redeliver',
    operationId: 'redeliverEvent',
    summary: 'Send the event again to every endpoint subscribed to it now',
    request: { params: z.object({ id: eventIdParam }) },
    responses: {
      202: answers('The redelivery is on its way (its round number)', redeliverySchema),
      400: error('`invalid_request`: the id is malformed'),
      404: error("`not_found`: no such event of this merchant's"),
      ...common,
    },
  });
}

/** The OpenAPI entry of the Zuz webhook (assembled by src/api/openapi.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { answers, error } from '../api/openapi-parts';
import { webhookAckSchema } from '../api/response-schemas';
import { zuzEventType, zuzWebhookEvent } from './index';

export function registerZuzWebhookRoute(registry: OpenAPIRegistry): void {
  documentReceiveZuzWebhook(registry);
}

function documentReceiveZuzWebhook(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/webhooks/zuz',
    operationId: 'receiveZuzWebhook',
    tags: ['Webhooks'],
    summary: "Zuz's asynchronous results (called by Zuz, not by clients)",
    description:
      "Authenticated by the `signature` header, not by an API key. Answers 200 only once the event is handed to the transaction's workflow (or there is none to hand it to); anything else makes Zuz retry.",
    request: {
      headers: z.object({
        'event-type': zuzEventType.meta({
          description: 'The operation reported, e.g. payment.authorization.update',
          example: 'payment.authorization.update',
        }),
        signature: z
          .string()
          .meta({ description: "`sig1=<hex HMAC-SHA256>` over the event's key fields, keyed with the app's private key" }),
      }),
      body: { required: true, content: { 'application/json': { schema: zuzWebhookEvent.meta({ id: 'ZuzWebhookEvent' }) } } },
    },
    responses: {
      200: answers(
        "`delivered` to the workflow; `duplicate`: the workflow already has this event id (nothing is added to its history); `stored` for reconciliation when the transaction's workflow has finished (or Temporal no longer retains it); or `ignored` (not a payment operation we follow, or an unknown transaction)",
        webhookAckSchema,
      ),
      400: error(
        '`invalid_request`: bad `event-type` header or event body of a correctly signed event (`details` names each); `invalid_json`; or `stale_event`: created too long ago',
      ),
      401: error(
        "`invalid_signature`: the signature does not match the event, or a signed field contains a comma (the signature's separator, so it cannot be verified unambiguously); checked first, so an unsigned caller learns nothing about the fields",
      ),
      413: error('`body_too_large`: the body is over 64 kB'),
      503: error('`unavailable`: the event could not be handed to Temporal; Zuz retries'),
    },
  });
}

/** The request and response schemas (zod) of /v1/webhook-endpoints and /v1/events: what the routes validate and the OpenAPI document shows. */
import { z } from 'zod';
import { pageLimit } from '../api/schemas';
import { MERCHANT_EVENT_TYPES } from './store';

export const eventTypeSchema = z.enum(MERCHANT_EVENT_TYPES, { error: `must be one of ${MERCHANT_EVENT_TYPES.join(', ')}` });

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why `url` cannot take events, or undefined: https only; plain http to loopback only when `sandbox`. */
export function endpointUrlProblem(value: string, sandbox: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://example.com/pos-events';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && sandbox && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return sandbox ? 'must be https:// (or http:// to 127.0.0.1 / localhost in the sandbox)' : 'must be an https:// URL';
}

/** `POST /v1/webhook-endpoints`; `sandbox` (POS_SANDBOX=true) also accepts plain http to loopback. */
export function createEndpointSchema(sandbox: boolean) {
  return z.strictObject(
    {
      url: z
        .string({ error: 'url must be a string' })
        .max(2048, 'url must be at most 2048 characters')
        .superRefine((value, ctx) => {
          const problem = endpointUrlProblem(value, sandbox);
          if (problem) ctx.addIssue({ code: 'custom', message: `url ${problem}` });
        })
        .meta({ description: 'https:// (plain http:// to loopback only under POS_SANDBOX)', example: 'https://example.com/pos-events' }),
      events: z
        .array(eventTypeSchema)
        .min(1, 'events must list at least one type (or be left out for every type)')
        .max(MERCHANT_EVENT_TYPES.length)
        .nullable()
        .optional()
        .meta({ description: 'The event types sent to this endpoint; absent or null: every type' }),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined) },
  );
}

export const endpointIdParam = z
  .string()
  .regex(/^we_[0-9a-f]{24}$/, 'endpoint id must look like we_ followed by 24 hex digits')
  .meta({ description: 'The endpoint id' });
export const eventIdParam = z
  .string()
  .regex(/^evt_[0-9a-f]{32}$/, 'event id must look like evt_ followed by 32 hex digits')
  .meta({ description: 'The event id' });

export const listEventsQuery = z.strictObject({
  type: eventTypeSchema.optional(),
  limit: pageLimit(100, 20),
  cursor: z
    .string()
    .max(512, 'cursor is too long')
    .regex(/^[A-Za-z0-9_-]+$/, 'cursor is not valid')
    .optional(),
});

export const attemptsQuery = z.strictObject({
  limit: pageLimit(100, 50),
});

export const endpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()).nullable(),
    createdAt: z.string(),
    disabledAt: z.string().optional(),
    disabledReason: z.string().optional(),
    previousSecretExpiresAt: z.string().meta({ description: 'Until then the secret before the last rotation also signs' }).optional(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const endpointWithSecretSchema = endpointSchema
  .extend({ secret: z.string().meta({ description: 'Signs every event (Pos-Signature); shown only here' }) })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const endpointListSchema = z.object({ endpoints: z.array(endpointSchema) }).meta({ id: 'WebhookEndpointList' });

export const merchantEventSchema = z
  .object({
    id: z.string().meta({ description: 'The same however often the event is delivered' }),
    type: z.enum(MERCHANT_EVENT_TYPES),
    created: z.string(),
    sequence: z.number().int().meta({ description: "The event's place among its transaction's events (delivery order is not promised)" }),
    transactionId: z.string(),
    requestId: z
      .string()
      .meta({
        description:
          "The Request-Id of the API request behind the event: for a transaction's events the request that started it, for a refund's the request that asked for it; absent for the reconciliation's",
      })
      .optional(),
    data: z.record(z.string(), z.unknown()).meta({ description: 'The transaction or refund as GET shows it' }),
  })
  .meta({ id: 'MerchantEvent' });

export const eventPageSchema = z
  .object({
    events: z.array(merchantEventSchema),
    nextCursor: z.string().meta({ description: 'Pass as `cursor` for the next page; absent on the last page' }).optional(),
  })
  .meta({ id: 'MerchantEventPage' });

export const attemptListSchema = z
  .object({
    attempts: z.array(
      z.object({
        eventId: z.string(),
        attemptedAt: z.string(),
        statusCode: z.number().int().optional(),
        error: z.string().optional(),
        durationMs: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'WebhookAttemptList' });

export const redeliverySchema = z.object({ eventId: z.string(), redelivery: z.number().int() }).meta({ id: 'MerchantEventRedelivery' });

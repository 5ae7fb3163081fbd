/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the very zod schemas the routes
 * validate with (schemas.ts, and Zuz's wire format for the webhook) plus the response schemas
 * (response-schemas.ts), so the document cannot promise a request the API would refuse.
 * Every status code a route can answer is listed, with the error codes behind it.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { zuzEventType, zuzWebhookEvent } from '../zuz';
import {
  auditEventSchema,
  errorBodySchema,
  healthSchema,
  issuedKeySchema,
  keyListingSchema,
  merchantSchema,
  settlementReportSchema,
  readinessSchema,
  reconciliationRunsSchema,
  refundSchema,
  transactionPageSchema,
  transactionViewSchema,
  webhookAckSchema,
} from './response-schemas';
import {
  captureSchema,
  createRefundSchema,
  createTransactionSchema,
  idempotencyKeyHeader,
  listTransactionsQuery,
  reconciliationRunsQuery,
  transactionIdParam,
  auditEventsQuery,
  createMerchantSchema,
  issueKeySchema,
  keyIdParam,
  merchantIdParam,
  settlementReportQuery,
  openFindingsQuery,
  redriveFindingSchema,
  resolveFindingSchema,
} from './schemas';

import { registerMerchantEventRoutes } from '../merchant-events/openapi';

let cached: object | undefined;

/** Built on first use and then shared: frozen, so no caller can change what every later caller gets. */
export function openApiDocument(): object {
  cached ??= deepFreeze(buildDocument());
  return cached;
}

const BEARER = 'apiKey';
const v1 = { security: [{ [BEARER]: [] }] };
const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const answers = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: json(schema) });
const error = (description: string): ResponseConfig => answers(description, errorBodySchema);

const unauthorized: ResponseConfig = {
  ...error('`unauthorized`: no valid `Authorization: Bearer <key>`'),
  headers: { 'www-authenticate': { description: 'Always `Bearer`', schema: { type: 'string', const: 'Bearer' } } },
};
const unavailable: ResponseConfig = {
  ...error('`unavailable`: Temporal cannot be reached right now; retry after `Retry-After` seconds (retrying the same request is safe)'),
  headers: { 'retry-after': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } },
};
const rateLimited: ResponseConfig = {
  ...error('`rate_limited`: this API key made more requests than its limit per minute (`API_RATE_LIMIT_PER_MINUTE`; off unless set)'),
  headers: { 'retry-after': { description: 'Seconds until the key may call again', schema: { type: 'string' } } },
};
const tooLarge = error('`body_too_large`: the body is over 16 kB');
const internal = error('`internal_error`: something failed on our side (e.g. Temporal unreachable); the request may be retried');
const invalidId = '`invalid_request`: the id in the path is not a valid transaction id (`details` names it)';
const invalidJson = '`invalid_json`: the body is not JSON';

// The path parameter of every /v1/transactions/{id} route; the names mirror the express routes.
const idParams = z.object({ id: transactionIdParam.meta({ description: 'The transactionId given at creation' }) });
const idempotencyHeaders = z.object({
  'idempotency-key': idempotencyKeyHeader
    .meta({
      description:
        "The client's name for this request (1-128 letters, digits, . _ : -). A retry with the same key and body answers the first result instead of a 409; without a key, an identical request counts as the same one.",
    })
    .optional(),
});

function registerTransactionRoutes(registry: OpenAPIRegistry): void {
  registry.registerPath({
    ...v1,
    method: 'post',
    path: '/v1/transactions',
    operationId: 'createTransaction',
    tags: ['Transactions'],
    summary: 'Start a transaction',
    description:
      "Starts the transaction's workflow and answers at once; follow it with GET /v1/transactions/{id}. With `Prefer: wait=N` (RFC 7240, N up to 30 seconds) it answers once the authorization is decided instead — `authorized` (manual capture), `capturing` or `succeeded` (auto), `declined` or `failed` — with 201, or with 202 as without the header when N seconds pass first; the start and the wait are one call to Temporal (update-with-start). Idempotent by `transactionId`: the same request again answers 200 with the current state (after waiting, with `Prefer: wait`), a different request with the same id 409.",
    request: {
      headers: z.object({
        prefer: z
          .string()
          .meta({
            description:
              '`wait=N`: wait up to N seconds (at most 30) for the authorization decision. Other preferences, and a value the API cannot read, are ignored (RFC 7240); `Preference-Applied` says when it was honoured.',
            example: 'wait=10',
          })
          .optional(),
      }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: createTransactionSchema.meta({ id: 'CreateTransactionRequest' }),
            example: { transactionId: 'tx-1', customerId: 'cus_demo', paymentMethodId: 'pm_approved', amount: 1250, currency: 'EUR' },
          },
        },
      },
    },
    responses: {
      202: answers(
        'Accepted: the workflow started (status `processing`; with `Prefer: wait`, no decision within N seconds)',
        transactionViewSchema,
      ),
      201: answers(
        'With `Prefer: wait=N`: the authorization was decided within N seconds; the transaction as it is now',
        transactionViewSchema,
      ),
      200: answers('The same request again: the transaction as it is now', transactionViewSchema),
      400: error(`\`invalid_request\`: a field is wrong, missing or unknown (\`details\` names each); or ${invalidJson}`),
      401: unauthorized,
      429: rateLimited,
      409: error('`transaction_conflict`: this transactionId exists with a different request'),
      413: tooLarge,
      500: internal,
      503: unavailable,
    },
  });

  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/reconciliation/runs',
    operationId: 'listReconciliationRuns',
    tags: ['Reconciliation'],
    summary: "The daily reconciliation's latest runs, newest first, with every discrepancy found",
    description:
      'Each run compares the record, the workflows and Zuz for the transactions of its period; it refunds or voids what money allows and reports the rest.',
    request: { query: reconciliationRunsQuery },
    responses: {
      200: answers('The latest runs', reconciliationRunsSchema),
      400: error('`invalid_request`: a query parameter is wrong or unknown (`details` names each)'),
      401: unauthorized,
      403: error('`forbidden`: the report needs the back-office or operator role'),
      429: rateLimited,
      431: { description: 'The query string is too large (answered by the HTTP server, with no body)' },
      500: internal,
    },
  });

  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/transactions',
    operationId: 'listTransactions',
    tags: ['Transactions'],
    summary: 'List transactions, newest first',
    description:
      'From the transaction record, which keeps every transaction for ever (a running one shows its live status from Temporal visibility, which lags by a moment); a running `status` filter (`processing`, `authorized`, `capturing`, `releasing`) lists from Temporal visibility. A cursor belongs to the filter it was returned for. Unknown query parameters are refused (400).',
    request: { query: listTransactionsQuery },
    responses: {
      200: answers('A page of transactions', transactionPageSchema),
      400: error('`invalid_request`: a query parameter is wrong or unknown (`details` names each)'),
      401: unauthorized,
      403: error('`forbidden`: the list needs the back-office role (a till key is refused), and an operator key acts for no merchant'),
      429: rateLimited,
      // Node's HTTP server refuses a request line over its header limit (16 kB) before the app sees it.
      431: { description: 'The query string is too large (answered by the HTTP server, with no body)' },
      500: internal,
      503: unavailable,
    },
  });

  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/transactions/{id}',
    operationId: 'getTransaction',
    tags: ['Transactions'],
    summary: 'A transaction: status, amounts, Zuz ids, failure and step journal',
    request: { params: idParams },
    responses: {
      200: answers('The transaction, live from its workflow, with attempts per step', transactionViewSchema),
      400: error(invalidId),
      401: unauthorized,
      429: rateLimited,
      404: error('`not_found`: no transaction with this id'),
      500: internal,
      503: unavailable,
    },
  });

  registry.registerPath({
    ...v1,
    method: 'post',
    path: '/v1/transactions/{id}/capture',
    operationId: 'captureTransaction',
    tags: ['Transactions'],
    summary: 'Capture a manual-capture transaction',
    description:
      'For `capture: "manual"` transactions in status `authorized`. `amount` defaults to the authorized amount and may not exceed it. The body may be omitted. Idempotent: a repeat (same `Idempotency-Key` and body, or no key and the same body) answers the first result, even after the transaction has finished.',
    request: {
      params: idParams,
      headers: idempotencyHeaders,
      body: {
        required: false,
        content: { 'application/json': { schema: captureSchema.meta({ id: 'CaptureRequest' }), example: { amount: 1000 } } },
      },
    },
    responses: {
      200: answers('The transaction after the capture', transactionViewSchema),
      400: error(
        `\`invalid_request\`: the id, \`amount\` or \`idempotency-key\` header is wrong, or the body has an unknown field (\`details\` names each); or ${invalidJson}`,
      ),
      401: unauthorized,
      429: rateLimited,
      404: error('`not_found`: no transaction with this id'),
      409: error(
        '`invalid_state`: the transaction cannot be captured now (not authorized, manual capture not requested, amount over the authorized one, or already finished)',
      ),
      413: tooLarge,
      500: internal,
      503: unavailable,
    },
  });

  registry.registerPath({
    ...v1,
    method: 'post',
    path: '/v1/transactions/{id}/cancel',
    operationId: 'cancelTransaction',
    tags: ['Transactions'],
    summary: 'Cancel before capture (the authorization is voided)',
    description:
      'Takes no body. Idempotent: a repeat (same `Idempotency-Key`, or none) answers the first result, even after the transaction has finished.',
    request: { params: idParams, headers: idempotencyHeaders },
    responses: {
      200: answers('The transaction after the cancellation', transactionViewSchema),
      400: error(`${invalidId}; or the \`idempotency-key\` header is malformed; or ${invalidJson}`),
      401: unauthorized,
      429: rateLimited,
      404: error('`not_found`: no transaction with this id'),
      409: error('`invalid_state`: too late to cancel (capture started or already decided, or the transaction is finished)'),
      413: tooLarge,
      500: internal,
      503: unavailable,
    },
  });

  registry.registerPath({
    ...v1,
    method: 'post',
    path: '/v1/transactions/{id}/refunds',
    operationId: 'refundTransaction',
    tags: ['Transactions'],
    summary: 'Refund a succeeded transaction, in full or in part',
    description:
      'Several partial refunds may be made, never beyond the captured amount (even when they race). Each refund is its own durable workflow; `GET /v1/transactions/{id}` shows `refunds` and `refundedAmount`. Idempotent on `refundId`: the same request again answers the refund as it stands (200); another body under the same `refundId` is 409.',
    request: {
      params: idParams,
      body: {
        required: true,
        content: {
          'application/json': {
            schema: createRefundSchema.meta({ id: 'RefundRequest' }),
            example: { refundId: 'rf-1', amount: 500, reason: 'returned item' },
          },
        },
      },
    },
    responses: {
      202: answers('The refund, reserved and asked of Zuz (`pending`)', refundSchema),
      200: answers('A repeat: the refund as it stands', refundSchema),
      400: error(
        `\`invalid_request\`: the id or a field is wrong, or the body has an unknown field (\`details\` names each); or ${invalidJson}`,
      ),
      401: unauthorized,
      429: rateLimited,
      403: error('`forbidden`: refunds need the back-office role (a till key is refused), and an operator key acts for no merchant'),
      404: error('`not_found`: no transaction with this id'),
      409: error(
        '`refund_exceeds_refundable`: the amount is more than is left to refund (the message and `details` say how much is); `invalid_state`: the transaction has not succeeded; `refund_conflict`: this `refundId` was used with another body',
      ),
      413: tooLarge,
      500: internal,
      503: unavailable,
    },
  });
}

const forbidden = (needs: string) => error(`\`forbidden\`: this route needs ${needs}; the message names the key's role`);
const merchantParams = z.object({ merchantId: merchantIdParam.meta({ description: 'The merchant id given at creation' }) });

function registerMerchantRoutes(registry: OpenAPIRegistry): void {
  const operatorOnly = { 401: unauthorized, 403: forbidden('the operator role'), 429: rateLimited, 500: internal };
  registry.registerPath({
    ...v1,
    method: 'post',
    path: '/v1/merchants',
    operationId: 'createMerchant',
    tags: ['Merchants'],
    summary: 'Create a merchant (operators)',
    request: { body: { required: true, content: json(createMerchantSchema.meta({ id: 'MerchantRequest' })) } },
    responses: {
      201: answers('The merchant', merchantSchema),
      400: error(`\`invalid_request\`: a field is wrong (\`details\` names each); or ${invalidJson}`),
      409: error('`merchant_exists`: the merchant id is taken'),
      413: tooLarge,
      ...operatorOnly,
    },
  });
  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/merchants',
    operationId: 'listMerchants',
    tags: ['Merchants'],
    summary: 'Every merchant (operators)',
    responses: { 200: answers('The merchants', z.object({ merchants: z.array(merchantSchema) })), ...operatorOnly },
  });
  registry.registerPath({
    ...v1,
    method: 'post',
    path: '/v1/merchants/{merchantId}/keys',
    operationId: 'issueApiKey',
    tags: ['Merchants'],
    summary: "Issue a key for one of the merchant's roles (operators): shown once",
    description:
      'A `till` key creates, reads, captures and cancels transactions; a `back-office` key also refunds, lists and reads reports.',
    request: { params: merchantParams, body: { required: true, content: json(issueKeySchema.meta({ id: 'ApiKeyRequest' })) } },
    responses: {
      201: answers('The key, shown this once', issuedKeySchema),
      400: error(`\`invalid_request\`: the merchant id or the role is wrong; or ${invalidJson}`),
      404: error('`not_found`: no such merchant'),
      413: tooLarge,
      ...operatorOnly,
    },
  });
  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/merchants/{merchantId}/keys',
    operationId: 'listApiKeys',
    tags: ['Merchants'],
    summary: "The merchant's keys by prefix and role, revoked ones too (operators); never the keys themselves",
    request: { params: merchantParams },
    responses: {
      200: answers('The keys', z.object({ keys: z.array(keyListingSchema) })),
      400: error('`invalid_request`: the merchant id is not valid'),
      404: error('`not_found`: no such merchant'),
      ...operatorOnly,
    },
  });
  registry.registerPath({
    ...v1,
    method: 'delete',
    path: '/v1/merchants/{merchantId}/keys/{keyId}',
    operationId: 'revokeApiKey',
    tags: ['Merchants'],
    summary: 'Revoke a key (operators): every API process refuses it from the next request on',
    request: { params: merchantParams.extend({ keyId: keyIdParam }) },
    responses: {
      200: answers('Revoked (a second revocation keeps the first time)', z.object({ keyId: z.string(), revokedAt: z.iso.datetime() })),
      400: error('`invalid_request`: the merchant id or key id is not valid'),
      404: error('`not_found`: no such merchant, or the merchant has no such key'),
      ...operatorOnly,
    },
  });
  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/audit-events',
    operationId: 'listAuditEvents',
    tags: ['Merchants'],
    summary: 'The audit trail, newest first: every request that moved money or changed configuration',
    description: "A back-office key reads its merchant's entries; an operator's reads every merchant's (or one's, with `merchant`).",
    request: { query: auditEventsQuery },
    responses: {
      200: answers('A page of entries', z.object({ events: z.array(auditEventSchema), nextCursor: z.string().optional() })),
      400: error('`invalid_request`: a query parameter is wrong or unknown (`details` names each)'),
      401: unauthorized,
      403: forbidden('the back-office or operator role'),
      429: rateLimited,
      500: internal,
    },
  });
}

function registerReportRoutes(registry: OpenAPIRegistry): void {
  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/reports/settlement',
    operationId: 'settlementReport',
    tags: ['Merchants'],
    summary: "A merchant's settlement for one day of its time zone: captures, refunds and reconciliation refunds by currency",
    description:
      "A back-office key reads its merchant's; an operator names the merchant. `Accept: text/csv` answers CSV (one row per line, then a net row per currency).",
    request: { query: settlementReportQuery },
    responses: {
      200: {
        description: 'The report',
        content: { 'application/json': { schema: settlementReportSchema }, 'text/csv': { schema: z.string() } },
      },
      400: error('`invalid_request`: the date is missing or not a calendar day, or an operator named no merchant'),
      401: unauthorized,
      403: forbidden('the back-office or operator role'),
      404: error("`not_found`: a merchant's key named another merchant"),
      429: rateLimited,
      500: internal,
    },
  });
}

function registerOperatorRoutes(registry: OpenAPIRegistry): void {
  const operatorOnly = { 401: unauthorized, 403: forbidden('the operator role'), 429: rateLimited, 500: internal };
  const finding = z
    .object({
      merchantId: z.string(),
      transactionId: z.string(),
      kind: z.string(),
      subject: z.string().optional(),
      detail: z.string(),
      outcome: z.string(),
      foundAt: z.iso.datetime(),
      runId: z.string(),
    })
    .meta({ id: 'OpenFinding' });
  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/operator/findings',
    operationId: 'listOpenFindings',
    tags: ['Operators'],
    summary: "The reconciliation's findings still open, across merchants, newest first",
    description:
      'The latest finding of each kind on a transaction the runs still follow, not settled by its repair (a release that failed or is pending, a refund or capture pending, an outcome lost, a mismatch) and not resolved by an operator.',
    request: { query: openFindingsQuery },
    responses: {
      200: answers('The open findings', z.object({ findings: z.array(finding) })),
      400: error('`invalid_request`: a query parameter is wrong or unknown'),
      ...operatorOnly,
    },
  });
  registry.registerPath({
    ...v1,
    method: 'post',
    path: '/v1/operator/findings/resolve',
    operationId: 'resolveFinding',
    tags: ['Operators'],
    summary: 'Resolve a finding by hand, with the reason: the runs neither repair nor report it again',
    request: { body: { required: true, content: json(resolveFindingSchema.meta({ id: 'ResolveFindingRequest' })) } },
    responses: {
      200: answers(
        'Resolved (a second resolution keeps the first)',
        z.object({
          merchantId: z.string(),
          transactionId: z.string(),
          kind: z.string(),
          subject: z.string().optional(),
          resolved: z.literal(true),
        }),
      ),
      400: error(`\`invalid_request\`: a field is wrong (\`details\` names each); or ${invalidJson}`),
      404: error('`not_found`: the reconciliation has no such finding'),
      413: tooLarge,
      ...operatorOnly,
    },
  });
  registry.registerPath({
    ...v1,
    method: 'post',
    path: '/v1/operator/findings/redrive',
    operationId: 'redriveFinding',
    tags: ['Operators'],
    summary: 'Reconcile a transaction again now, by a workflow (the same repairs under the same idempotency keys)',
    request: { body: { required: true, content: json(redriveFindingSchema.meta({ id: 'RedriveFindingRequest' })) } },
    responses: {
      202: answers('Under way', z.object({ merchantId: z.string(), transactionId: z.string(), workflowId: z.string() })),
      400: error(`\`invalid_request\`: a field is wrong (\`details\` names each); or ${invalidJson}`),
      404: error('`not_found`: no such transaction'),
      413: tooLarge,
      503: unavailable,
      ...operatorOnly,
    },
  });
}

function registerOtherRoutes(registry: OpenAPIRegistry): void {
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

  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tags: ['Operations'],
    summary: 'Liveness',
    responses: { 200: answers('The process is up', healthSchema) },
  });

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

  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    tags: ['Documentation'],
    summary: 'This document',
    responses: { 200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });

  registry.registerPath({
    method: 'get',
    path: '/docs',
    operationId: 'docsPage',
    tags: ['Documentation'],
    summary: 'This document, rendered (Swagger UI)',
    responses: { 200: { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
  });
}

function buildDocument(): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    description: 'One of the keys configured in API_KEYS (several may be valid at once, for rotation)',
  });
  registerTransactionRoutes(registry);
  registerMerchantRoutes(registry);
  registerReportRoutes(registry);
  registerOperatorRoutes(registry);
  registerOtherRoutes(registry);
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

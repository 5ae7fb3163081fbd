/** The OpenAPI entries of /v1/transactions (assembled by src/api/openapi.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { v1, answers, error, unauthorized, unavailable, rateLimited, tooLarge, internal, invalidJson } from '../api/openapi-parts';
import { transactionPageSchema, transactionViewSchema } from '../api/response-schemas';
import { captureSchema, createTransactionSchema, idempotencyKeyHeader, listTransactionsQuery, transactionIdParam } from '../api/schemas';

export const invalidId = '`invalid_request`: the id in the path is not a valid transaction id (`details` names it)';
// The path parameter of every /v1/transactions/{id} route; the names mirror the express routes.
export const idParams = z.object({ id: transactionIdParam.meta({ description: 'The transactionId given at creation' }) });
export const idempotencyHeaders = z.object({
  'idempotency-key': idempotencyKeyHeader
    .meta({
      description:
        "The client's name for this request (1-128 letters, digits, . _ : -). A retry with the same key and body answers the first result instead of a 409; without a key, an identical request counts as the same one.",
    })
    .optional(),
});

export function registerTransactionRoutes(registry: OpenAPIRegistry): void {
  documentCreateTransaction(registry);
  documentListTransactions(registry);
  documentGetTransaction(registry);
  documentCaptureTransaction(registry);
  documentCancelTransaction(registry);
}

function documentCreateTransaction(registry: OpenAPIRegistry): void {
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
}

function documentListTransactions(registry: OpenAPIRegistry): void {
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
}

function documentGetTransaction(registry: OpenAPIRegistry): void {
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
}

function documentCaptureTransaction(registry: OpenAPIRegistry): void {
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
}

function documentCancelTransaction(registry: OpenAPIRegistry): void {
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
}

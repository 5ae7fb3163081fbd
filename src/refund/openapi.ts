/** The OpenAPI entry of POST /v1/transactions/{id}/refunds (assembled by src/api/openapi.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { v1, answers, error, unauthorized, unavailable, rateLimited, tooLarge, internal, invalidJson } from '../api/openapi-parts';
import { refundSchema } from '../api/response-schemas';
import { createRefundSchema } from '../api/schemas';
import { idParams } from '../transaction/openapi';

export function registerRefundRoutes(registry: OpenAPIRegistry): void {
  documentRefundTransaction(registry);
}

function documentRefundTransaction(registry: OpenAPIRegistry): void {
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

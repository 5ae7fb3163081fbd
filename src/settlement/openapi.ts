/** The OpenAPI entry of /v1/reports/settlement (assembled by src/api/openapi.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { v1, error, unauthorized, rateLimited, internal, forbidden } from '../api/openapi-parts';
import { settlementReportSchema } from '../api/response-schemas';
import { settlementReportQuery } from '../api/schemas';

export function registerSettlementRoutes(registry: OpenAPIRegistry): void {
  documentSettlementReport(registry);
}

function documentSettlementReport(registry: OpenAPIRegistry): void {
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

/** The OpenAPI entries of the reconciliation's reports and the operators' actions on its findings (assembled by src/api/openapi.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  v1,
  json,
  answers,
  error,
  unauthorized,
  unavailable,
  rateLimited,
  tooLarge,
  internal,
  invalidJson,
  forbidden,
} from '../api/openapi-parts';
import { reconciliationRunsSchema } from '../api/response-schemas';
import { reconciliationRunsQuery, openFindingsQuery, redriveFindingSchema, resolveFindingSchema } from '../api/schemas';

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

export function registerReconciliationRoutes(registry: OpenAPIRegistry): void {
  documentListReconciliationRuns(registry);
  documentListOpenFindings(registry);
  documentResolveFinding(registry);
  documentRedriveFinding(registry);
}

function documentListReconciliationRuns(registry: OpenAPIRegistry): void {
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
}

function documentListOpenFindings(registry: OpenAPIRegistry): void {
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
}

function documentResolveFinding(registry: OpenAPIRegistry): void {
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
}

function documentRedriveFinding(registry: OpenAPIRegistry): void {
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
      409: error('`redrive_running`: a re-drive of this transaction is still running; this request started nothing'),
      413: tooLarge,
      503: unavailable,
      ...operatorOnly,
    },
  });
}

/** The OpenAPI entries of /v1/merchants and /v1/audit-events (assembled by src/api/openapi.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { v1, json, answers, error, unauthorized, rateLimited, tooLarge, internal, invalidJson, forbidden } from '../api/openapi-parts';
import { auditEventSchema, issuedKeySchema, keyListingSchema, merchantSchema } from '../api/response-schemas';
import { auditEventsQuery, createMerchantSchema, issueKeySchema, keyIdParam, merchantIdParam } from '../api/schemas';

const merchantParams = z.object({ merchantId: merchantIdParam.meta({ description: 'The merchant id given at creation' }) });

const operatorOnly = { 401: unauthorized, 403: forbidden('the operator role'), 429: rateLimited, 500: internal };

export function registerMerchantRoutes(registry: OpenAPIRegistry): void {
  documentCreateMerchant(registry);
  documentListMerchants(registry);
  documentIssueApiKey(registry);
  documentListApiKeys(registry);
  documentRevokeApiKey(registry);
  documentListAuditEvents(registry);
}

function documentCreateMerchant(registry: OpenAPIRegistry): void {
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
}

function documentListMerchants(registry: OpenAPIRegistry): void {
  registry.registerPath({
    ...v1,
    method: 'get',
    path: '/v1/merchants',
    operationId: 'listMerchants',
    tags: ['Merchants'],
    summary: 'Every merchant (operators)',
    responses: { 200: answers('The merchants', z.object({ merchants: z.array(merchantSchema) })), ...operatorOnly },
  });
}

function documentIssueApiKey(registry: OpenAPIRegistry): void {
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
}

function documentListApiKeys(registry: OpenAPIRegistry): void {
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
}

function documentRevokeApiKey(registry: OpenAPIRegistry): void {
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
}

function documentListAuditEvents(registry: OpenAPIRegistry): void {
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

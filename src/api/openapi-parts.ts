/** What every route's OpenAPI entry shares: the key scheme, and the answers any route can give. */
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { errorBodySchema } from './response-schemas';

export const BEARER = 'apiKey';
export const v1 = { security: [{ [BEARER]: [] }] };
export const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
export const answers = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: json(schema) });
export const error = (description: string): ResponseConfig => answers(description, errorBodySchema);

export const unauthorized: ResponseConfig = {
  ...error('`unauthorized`: no valid `Authorization: Bearer <key>`'),
  headers: { 'www-authenticate': { description: 'Always `Bearer`', schema: { type: 'string', const: 'Bearer' } } },
};
export const unavailable: ResponseConfig = {
  ...error('`unavailable`: Temporal cannot be reached right now; retry after `Retry-After` seconds (retrying the same request is safe)'),
  headers: { 'retry-after': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } },
};
export const rateLimited: ResponseConfig = {
  ...error('`rate_limited`: this API key made more requests than its limit per minute (`API_RATE_LIMIT_PER_MINUTE`; off unless set)'),
  headers: { 'retry-after': { description: 'Seconds until the key may call again', schema: { type: 'string' } } },
};
export const tooLarge = error('`body_too_large`: the body is over 16 kB');
export const internal = error('`internal_error`: something failed on our side (e.g. Temporal unreachable); the request may be retried');
export const invalidJson = '`invalid_json`: the body is not JSON';

export const forbidden = (needs: string) => error(`\`forbidden\`: this route needs ${needs}; the message names the key's role`);

/**
 * Per-key rate limits on /v1 (express-rate-limit): each API key gets `limit` requests per window;
 * the next is answered 429 `rate_limited` in the API's error shape, with `Retry-After` seconds.
 * Mounted after `requireApiKey`, it counts by the key's name that authentication leaves in
 * `res.locals` (a hash of the key, never the key itself). The counts live in this process: with
 * N API processes behind a load balancer a key may make up to N times the limit.
 */
import type { RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { sendError } from './errors';

export interface RateLimitOptions {
  /** Requests per key per window. */
  limit: number;
  /** Default: one minute (API_RATE_LIMIT_PER_MINUTE). */
  windowMs?: number;
}

export function rateLimitPerKey({ limit, windowMs = 60_000 }: RateLimitOptions): RequestHandler {
  return rateLimit({
    windowMs,
    limit,
    // RateLimit / RateLimit-Policy on every answer, and Retry-After on a 429 (the library sets it only with these on).
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (_req, res) => keyOf(res),
    handler: (_req, res) => {
      const seconds = String(res.getHeader('retry-after'));
      sendError(res, 429, 'rate_limited', `Too many requests for this API key; retry after ${seconds} seconds (Retry-After)`);
    },
  });
}

function keyOf(res: Response): string {
  const merchantId: unknown = res.locals.merchantId;
  const apiKeyId: unknown = res.locals.apiKeyId;
  // Without them every caller would share one count: fail loudly instead (a wiring mistake, not a client's).
  if (typeof merchantId !== 'string' || typeof apiKeyId !== 'string')
    throw new Error('rateLimitPerKey must be mounted after requireApiKey');
  return `${merchantId}:${apiKeyId}`;
}

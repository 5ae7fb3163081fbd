/**
 * Bearer API keys, compared in constant time. Each key belongs to a merchant (several keys may
 * be valid at once, for rotation); the routes act for that merchant only (`merchantOf`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { ApiKey } from '../config';
import { sendError } from './errors';

export function requireApiKey(keys: ApiKey[]): RequestHandler {
  // Hashing first gives equal-length buffers, so the comparison leaks neither content nor length.
  const known = keys.map(({ merchantId, key }) => ({ merchantId, digest: digest(key) }));
  return (req, res, next) => {
    const match = /^Bearer (.+)$/.exec(req.header('authorization') ?? '');
    const given = match ? digest(match[1]) : undefined;
    // Every key is compared, found or not, so the time taken does not say which key matched.
    const found =
      given && known.reduce<(typeof known)[number] | undefined>((hit, k) => (timingSafeEqual(k.digest, given) ? k : hit), undefined);
    if (found && given) {
      res.locals.merchantId = found.merchantId;
      // A name for the key that is not the key: what rate limits count by.
      res.locals.apiKeyId = given.toString('base64url').slice(0, 16);
      return next();
    }
    res.setHeader('www-authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized', 'A valid API key is required: Authorization: Bearer <key>');
  };
}

/** The merchant the authenticated caller acts for (set by `requireApiKey`). */
export function merchantOf(res: Response): string {
  const merchantId: unknown = res.locals.merchantId;
  if (typeof merchantId !== 'string') throw new Error('merchantOf called on a route without requireApiKey');
  return merchantId;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

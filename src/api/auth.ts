/**
 * Bearer API keys, compared in constant time. Each merchant key belongs to a merchant (several
 * keys may be valid at once, for rotation); the routes act for that merchant only (`merchantOf`).
 * Operator keys (OPERATOR_API_KEYS) act for no merchant: they read every merchant's
 * reconciliation findings and are refused on every merchant route (`merchantsOnly`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { ApiKey } from '../config';
import type { Logger } from '../infrastructure/logger';
import { sendError } from './errors';

/** Who a key speaks for: one merchant, or the operators who run the service for all of them. */
export type Caller = { role: 'merchant'; merchantId: string } | { role: 'operator' };

/**
 * A failed authentication is logged (its reason, the client's address, the route; never what was
 * given as a key) so that guessing shows in the logs; `rateLimitFailedAuthentications` bounds it.
 */
export function requireApiKey(keys: ApiKey[], operatorKeys: string[] = [], log?: Logger): RequestHandler {
  // Hashing first gives equal-length buffers, so the comparison leaks neither content nor length.
  const known: Array<{ caller: Caller; digest: Buffer }> = [
    ...keys.map(({ merchantId, key }) => ({ caller: { role: 'merchant' as const, merchantId }, digest: digest(key) })),
    ...operatorKeys.map((key) => ({ caller: { role: 'operator' as const }, digest: digest(key) })),
  ];
  return (req, res, next) => {
    // The scheme is case-insensitive (RFC 9110 section 11.1): `bearer` and `BEARER` are `Bearer`.
    const match = /^Bearer +(\S.*)$/i.exec(req.header('authorization') ?? '');
    const given = match ? digest(match[1]) : undefined;
    // Every key is compared, found or not, so the time taken does not say which key matched.
    const found =
      given && known.reduce<(typeof known)[number] | undefined>((hit, k) => (timingSafeEqual(k.digest, given) ? k : hit), undefined);
    if (found && given) {
      res.locals.caller = found.caller;
      if (found.caller.role === 'merchant') res.locals.merchantId = found.caller.merchantId;
      // A name for the key that is not the key: what rate limits count by.
      res.locals.apiKeyId = given.toString('base64url').slice(0, 16);
      return next();
    }
    log?.warn(
      { reason: match ? 'unknown key' : 'no bearer credentials', ip: req.ip, method: req.method, path: req.originalUrl.split('?')[0] },
      'authentication failed',
    );
    res.setHeader('www-authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized', 'A valid API key is required: Authorization: Bearer <key>');
  };
}

/** Routes that act in a merchant's name: an operator key is refused before anything is read. */
export const merchantsOnly: RequestHandler = (_req, res, next) => {
  if (callerOf(res).role === 'merchant') return next();
  sendError(res, 403, 'forbidden', "An operator key acts for no merchant: this route needs a merchant's key");
};

/** The authenticated caller (set by `requireApiKey`). */
export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new Error('callerOf called on a route without requireApiKey');
  return caller;
}

/** The merchant the authenticated caller acts for (set by `requireApiKey`; `merchantsOnly` guards its routes). */
export function merchantOf(res: Response): string {
  const merchantId: unknown = res.locals.merchantId;
  if (typeof merchantId !== 'string') throw new Error('merchantOf called on a route without a merchant key');
  return merchantId;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

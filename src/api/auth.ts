/**
 * Bearer API keys. Keys issued at run time (src/merchants/store.ts) are looked up by
 * their SHA-256 on every request, so a revocation holds at once on every API process; the keys of
 * API_KEYS (each a merchant's back-office key) and OPERATOR_API_KEYS (the bootstrap operators) are
 * compared in constant time in memory. Each key has a role: a `till` creates, reads, captures and
 * cancels its merchant's transactions; a `back-office` key also refunds, lists and reads reports;
 * an `operator` acts for no merchant (`merchantsOnly` refuses it) and manages merchants and keys.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { ApiKey } from '../shared/config';
import type { Logger } from '../shared/logger';
import type { Role, StoredKey } from '../merchants/store';
import { sendError } from './errors';

/** Who a key speaks for: one merchant (as its till or its back office), or the operators who run the service for all of them. */
export type Caller = ({ role: 'till' | 'back-office'; merchantId: string } | { role: 'operator' }) & {
  /** Names the key without being it: `pos_live_ab12cd34` for issued keys, `env_<hash prefix>` for configured ones. */
  keyPrefix: string;
};

/** Where issued keys are found (MerchantStore); absent, only the configured keys authenticate. */
export interface KeyDirectory {
  findByHash(hash: Buffer): Promise<StoredKey | undefined>;
}

/**
 * A failed authentication is logged (its reason, the client's address, the route; never what was
 * given as a key) so that guessing shows in the logs; `rateLimitFailedAuthentications` bounds it.
 */
export function requireApiKey(keys: ApiKey[], operatorKeys: string[] = [], log?: Logger, directory?: KeyDirectory): RequestHandler {
  // Hashing first gives equal-length buffers, so the comparison leaks neither content nor length.
  const configured = (caller: { role: 'back-office'; merchantId: string } | { role: 'operator' }, key: string) => {
    const hash = digest(key);
    return { caller: { ...caller, keyPrefix: `env_${hash.toString('hex').slice(0, 8)}` } as Caller, digest: hash };
  };
  const known: Array<{ caller: Caller; digest: Buffer }> = [
    ...keys.map(({ merchantId, key }) => configured({ role: 'back-office', merchantId }, key)),
    ...operatorKeys.map((key) => configured({ role: 'operator' }, key)),
  ];
  return async (req, res, next) => {
    // The scheme is case-insensitive (RFC 9110 section 11.1): `bearer` and `BEARER` are `Bearer`.
    const match = /^Bearer +(\S.*)$/i.exec(req.header('authorization') ?? '');
    const given = match ? digest(match[1]) : undefined;
    // Every key is compared, found or not, so the time taken does not say which key matched.
    const found =
      given && known.reduce<(typeof known)[number] | undefined>((hit, k) => (timingSafeEqual(k.digest, given) ? k : hit), undefined);
    const caller = found ? found.caller : given && directory ? callerOfStored(await directory.findByHash(given)) : undefined;
    if (caller && given) {
      res.locals.caller = caller;
      if (caller.role !== 'operator') res.locals.merchantId = caller.merchantId;
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

function callerOfStored(key: StoredKey | undefined): Caller | undefined {
  if (!key) return undefined;
  if (key.role === 'operator') return { role: 'operator', keyPrefix: key.prefix };
  if (!key.merchantId) return undefined;
  return { role: key.role, merchantId: key.merchantId, keyPrefix: key.prefix };
}

/** Routes that act in a merchant's name: an operator key is refused before anything is read. */
export const merchantsOnly: RequestHandler = (_req, res, next) => {
  if (callerOf(res).role !== 'operator') return next();
  sendError(res, 403, 'forbidden', "An operator key acts for no merchant: this route needs a merchant's key");
};

/** The route is for these roles only: any other answers 403 naming the role needed. */
export function allowRoles(...roles: Role[]): RequestHandler {
  const needed = roles.length === 1 ? `the ${roles[0]} role` : `one of the roles ${roles.join(', ')}`;
  return (_req, res, next) => {
    const { role } = callerOf(res);
    if (roles.includes(role)) return next();
    sendError(res, 403, 'forbidden', `This route needs ${needed}; this key's role is ${role}`);
  };
}

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

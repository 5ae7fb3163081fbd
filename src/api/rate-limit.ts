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

/**
 * Failed authentications per client address: past `limit` 401s within the window, every request
 * from that address is answered 429 `too_many_failed_authentications` (with Retry-After) until
 * the window ends, so keys cannot be guessed at speed. Mounted before `requireApiKey`. Only an
 * answer that went out as 401 counts, when it went out: requests still in flight and requests the
 * client gave up on count for nothing (express-rate-limit's `skipSuccessfulRequests` counts each
 * request until it ends well, which refused a busy till's valid requests while Temporal was slow).
 * The client address is `req.ip` (set Express's `trust proxy` behind a proxy, or every client
 * counts as the proxy).
 */
export function rateLimitFailedAuthentications({ limit, windowMs = 60_000 }: RateLimitOptions): RequestHandler {
  const failures = new Map<string, { count: number; resetAt: number }>();
  return (req, res, next) => {
    const now = Date.now();
    const address = req.ip ?? 'unknown';
    for (const [known, window] of failures) if (window.resetAt <= now) failures.delete(known);
    const window = failures.get(address);
    if (window && window.count >= limit) {
      const seconds = String(Math.max(1, Math.ceil((window.resetAt - now) / 1000)));
      res.setHeader('retry-after', seconds);
      return sendError(
        res,
        429,
        'too_many_failed_authentications',
        `Too many failed authentications from this address; retry after ${seconds} seconds (Retry-After)`,
      );
    }
    res.once('finish', () => {
      if (res.statusCode !== 401) return;
      const current = failures.get(address);
      if (current && current.resetAt > Date.now()) current.count++;
      else failures.set(address, { count: 1, resetAt: Date.now() + windowMs });
    });
    next();
  };
}

/**
 * At most `limit` requests of one merchant in progress at once on the routes it guards (the
 * transaction list, whose filters may read many rows): the next is answered 429
 * `too_many_concurrent_requests` with `Retry-After: 1` at once, without touching the database,
 * so one merchant's lists cannot hold every pooled connection while the others wait. Counted per
 * process, like the rate limit. Mounted after authentication (it reads the merchant it sets).
 */
export function limitConcurrentPerMerchant({ limit }: { limit: number }): RequestHandler {
  const inProgress = new Map<string, number>();
  return (_req, res, next) => {
    const merchantId: unknown = res.locals.merchantId;
    if (typeof merchantId !== 'string') return next(new Error('limitConcurrentPerMerchant must be mounted after requireApiKey'));
    const running = inProgress.get(merchantId) ?? 0;
    if (running >= limit) {
      res.setHeader('retry-after', '1');
      return sendError(
        res,
        429,
        'too_many_concurrent_requests',
        `At most ${limit} lists of one merchant run at once; retry after 1 second (Retry-After)`,
      );
    }
    inProgress.set(merchantId, running + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (inProgress.get(merchantId) ?? 1) - 1;
      if (left > 0) inProgress.set(merchantId, left);
      else inProgress.delete(merchantId);
    };
    // `close` comes for every response, finished or aborted by the client.
    res.once('finish', release);
    res.once('close', release);
    next();
  };
}

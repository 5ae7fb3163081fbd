/** Bearer API keys, compared in constant time (several may be valid at once, for rotation). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './errors';

export function requireApiKey(keys: string[]): RequestHandler {
  // Hashing first gives equal-length buffers, so the comparison leaks neither content nor length.
  const digests = keys.map(digest);
  return (req, res, next) => {
    const match = /^Bearer (.+)$/.exec(req.header('authorization') ?? '');
    const given = match ? digest(match[1]) : undefined;
    const ok = given !== undefined && digests.reduce((found, d) => timingSafeEqual(d, given) || found, false);
    if (ok) return next();
    res.setHeader('www-authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized', 'A valid API key is required: Authorization: Bearer <key>');
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

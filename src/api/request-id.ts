/**
 * Every answer carries a `Request-Id`: the caller's `X-Request-Id` when it is a plain token, else
 * one made here. It is in error bodies (`error.requestId`) and in the audit trail, so a merchant's
 * report of a failed call finds its entry.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';

const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

export const assignRequestId: RequestHandler = (req, res, next) => {
  const given = req.header('x-request-id');
  const id = given && ACCEPTED.test(given) ? given : `req_${randomUUID().replaceAll('-', '')}`;
  res.locals.requestId = id;
  res.setHeader('request-id', id);
  next();
};

/** The request's id (set by `assignRequestId`), if the answer has one. */
export function requestIdOf(res: Response): string | undefined {
  const id: unknown = res.locals.requestId;
  return typeof id === 'string' ? id : undefined;
}

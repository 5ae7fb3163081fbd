/** Writing answers: every one carries the request id the provider puts on its responses. */
import type { NextFunction, Request, Response } from 'express';
import { newRequestId } from '../ids';
import { internal, notFound, ZuzApiError } from '../errors';
import type { Reply } from '../idempotency';

export const REQUEST_ID_HEADER = 'X-Zooz-Request-Id';

export function assignRequestId(_req: Request, res: Response, next: NextFunction): void {
  const requestId = newRequestId();
  res.locals.requestId = requestId;
  res.setHeader(REQUEST_ID_HEADER, requestId);
  next();
}

export function requestIdOf(res: Response): string {
  return String(res.locals.requestId);
}

export function sendReply(res: Response, reply: Reply): void {
  res.status(reply.status).json(reply.body);
}

export function errorReply(error: ZuzApiError): Reply {
  return { status: error.status, body: error.toBody() };
}

export function unknownRoute(req: Request, res: Response): void {
  sendReply(res, errorReply(notFound(`No route for ${req.method} ${req.path}`)));
}

// Express recognises an error handler by its four parameters.
export function handleErrors(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (error instanceof ZuzApiError) return sendReply(res, errorReply(error));
  // body-parser marks a malformed JSON body with status 400.
  if ((error as { status?: number }).status === 400) {
    return sendReply(res, { status: 400, body: { category: 'api_request_error', description: 'Malformed JSON body' } });
  }
  console.error('zuz simulator:', error);
  if (!res.headersSent) sendReply(res, errorReply(internal()));
}

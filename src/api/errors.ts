/** The one error shape of the API: `{error: {code, message, details?}}`, and the mapping of everything else to it. */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { ZodError } from 'zod';
import type { Logger } from '../shared/logger';
import { isTemporalUnavailable } from '../shared/temporal';
import { requestIdOf } from './request-id';

/** What a 503 asks the client to wait before retrying. */
const RETRY_AFTER_SECONDS = 5;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function sendError(res: Response, status: number, code: string, message: string, details?: unknown): void {
  const requestId = requestIdOf(res);
  res.status(status).json({ error: { code, message, ...(details !== undefined ? { details } : {}), ...(requestId && { requestId }) } });
}

/** The answer for a known path asked with a method it does not serve: 405 with the `Allow` header. */
export function allowOnly(...methods: string[]): RequestHandler {
  return function methodNotAllowed(_req, res) {
    res.setHeader('allow', methods.join(', '));
    sendError(res, 405, 'method_not_allowed', `This route answers ${methods.join(', ')} only`);
  };
}

/** Names every wrong field: `[{field: "amount", message: "..."}]`. */
export function validationError(error: ZodError, where = 'body'): ApiError {
  const details = error.issues.map((issue) => ({
    field:
      issue.code === 'unrecognized_keys'
        ? [...issue.path, issue.keys.join(',')].join('.')
        : issue.path.length
          ? issue.path.join('.')
          : where,
    message: issue.message,
  }));
  const first = details[0];
  return new ApiError(400, 'invalid_request', `${first.field}: ${first.message}`, details);
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof ApiError) {
      if (err.status === 503) res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
      return sendError(res, err.status, err.code, err.message, err.details);
    }
    // body-parser's own errors carry a status and a type.
    const status = (err as { status?: number }).status;
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'The body is not valid JSON');
    if (type === 'entity.too.large') return sendError(res, 413, 'body_too_large', 'The body is too large');
    if (status && status >= 400 && status < 500) return sendError(res, status, 'bad_request', 'The request could not be read');
    if (isTemporalUnavailable(err)) {
      log.warn({ err: String(err) }, 'Temporal unreachable');
      res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
      return sendError(res, 503, 'unavailable', 'The service cannot reach its workflow engine right now; retry later');
    }
    log.error({ err }, 'unhandled API error');
    sendError(res, 500, 'internal_error', 'Something went wrong on our side; the request may be retried');
  };
}

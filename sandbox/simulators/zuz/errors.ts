/** Errors in the provider's shape: `{category, description, more_info?}` with an HTTP status. */
import type { ZuzError } from '../../../src/zuz/wire';

export class ZuzApiError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    readonly description: string,
    readonly moreInfo?: string,
  ) {
    super(`${status} ${category}: ${description}`);
  }

  toBody(): ZuzError {
    return this.moreInfo === undefined
      ? { category: this.category, description: this.description }
      : { category: this.category, description: this.description, more_info: this.moreInfo };
  }
}

export const badRequest = (description: string, moreInfo?: string) => new ZuzApiError(400, 'api_request_error', description, moreInfo);
export const unauthenticated = (description: string) => new ZuzApiError(401, 'api_authentication_error', description);
export const notFound = (description: string) => new ZuzApiError(404, 'api_request_error', description);
export const conflict = (description: string) => new ZuzApiError(409, 'api_request_error', description);
export const unavailable = () =>
  new ZuzApiError(
    503,
    'service_unavailable',
    'The service is temporarily unavailable (simulated fault); retry with the same idempotency-key',
  );
export const internal = () => new ZuzApiError(500, 'api_server_error', 'Unexpected simulator error');

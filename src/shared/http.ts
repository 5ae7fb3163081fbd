/** What the HTTP clients share: a JSON call with a timeout, and an error that says whether retrying can help. */

export class UpstreamError extends Error {
  constructor(
    readonly service: string,
    /** HTTP status, or undefined when no answer came (network error, timeout, reset). */
    readonly status: number | undefined,
    message: string,
  ) {
    super(`${service}: ${message}`);
    this.name = 'UpstreamError';
  }

  /** No answer, 5xx and 429 may pass on retry; other 4xx answers will not. */
  get retryable(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429;
  }
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export async function requestJson(
  service: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: unknown; timeoutMs: number },
): Promise<JsonResponse> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (err) {
    // The request may or may not have been performed: the caller's idempotency key makes a retry safe.
    throw new UpstreamError(service, undefined, `no answer from ${init.method} ${new URL(url).pathname} (${(err as Error).name})`);
  }
  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new UpstreamError(service, response.status, `answered ${response.status} with a body that is not JSON`);
    }
  }
  return { status: response.status, body };
}

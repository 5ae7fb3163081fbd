/**
 * The driver's HTTP client for the service's API. The API may be down (a restart) or answer 5xx
 * (Temporal restarting), so every call is retried with backoff until a definite answer or the
 * caller's deadline. Repeating a call is safe: a repeated POST of the same transaction is
 * answered 200, and a repeated capture or cancel is refused (409) once the first one took effect.
 */
import { sleep } from './sleep';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  /** How many attempts it took (1 = first try). */
  attempts: number;
}

export class GaveUpError extends Error {
  override name = 'GaveUpError';
}

export interface CallOptions {
  giveUpAt: number;
  signal?: AbortSignal;
  /** Statuses worth retrying besides 5xx and 429 (e.g. 404 while a restarted server catches up). */
  alsoRetry?: readonly number[];
  /** Sent besides the API key and the content type (e.g. `prefer: wait=30`). */
  headers?: Record<string, string>;
}

const REQUEST_TIMEOUT_MS = 15_000;

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async call<T>(method: 'GET' | 'POST', route: string, body: unknown, options: CallOptions): Promise<ApiAnswer<T>> {
    let pause = 100;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) throw new GaveUpError(`${method} ${route}: the run was stopped (last: ${last || 'none'})`);
      try {
        const response = await fetch(this.baseUrl + route, {
          method,
          headers: { ...options.headers, authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        const retry = response.status >= 500 || response.status === 429 || options.alsoRetry?.includes(response.status);
        if (!retry) return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, attempts: attempt };
        last = `HTTP ${response.status} ${text.slice(0, 200)}`;
      } catch (err) {
        last = `${(err as Error).name}: ${(err as Error).message}`;
      }
      if (Date.now() + pause > options.giveUpAt)
        throw new GaveUpError(`${method} ${route}: no definite answer before the deadline (last: ${last})`);
      await sleep(pause);
      pause = Math.min(pause * 2, 2000);
    }
  }
}

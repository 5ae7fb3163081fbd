/**
 * A throwaway stack for an end-to-end test file (the Temporal dev server, a worker, the API and
 * both simulators on free ports, a fresh data folder) and a caller of its API.
 */
import { startLocalStack, throwawayStackEnv, type LocalStack, type LocalStackOptions } from '../../sandbox/local-stack';
import { bundleWorkflows, freePort } from './temporal';

/** Fast waits for tests: a webhook is given 3 s before polling starts. */
export const QUICK_FLOW: LocalStackOptions['flowOptions'] = {
  webhookGracePeriod: '3 seconds',
  pollInitialInterval: '200 milliseconds',
  pollMaxInterval: '1 second',
};

export async function startTestStack(
  name: string,
  options: { env?: Record<string, string>; flowOptions?: LocalStackOptions['flowOptions'] } = {},
): Promise<LocalStack> {
  return startLocalStack({
    // DATABASE_URL cleared: each file gets its own in-memory database, so the daily reconciliation
    // that test/e2e.test.ts runs over the shared PostgreSQL does not meet these files' transactions
    // (whose Zuz payments live in simulators it cannot reach).
    env: throwawayStackEnv(name, { TEMPORAL_PORT: String(await freePort()), DATABASE_URL: '', ...options.env }),
    workflowBundle: await bundleWorkflows(),
    installRuntime: false,
    flowOptions: options.flowOptions,
  });
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the stack's API with a key (the sandbox's by default); JSON in, JSON out. */
export async function callApi<T>(
  stack: LocalStack,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
  options: { key?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const response = await fetch(stack.apiUrl + route, {
    method,
    headers: { authorization: `Bearer ${options.key ?? stack.apiKey}`, 'content-type': 'application/json', ...options.headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

/**
 * The till's one request, `POST /v1/transactions` with `Prefer: wait=N`, end to end on the real
 * stack: repeating it on a transaction whose authorization is decided adds nothing to the
 * workflow's history (a 7-day manual capture polled by a till must not grow towards Temporal's
 * history limit); and once Temporal has taken the start, a wait that meets an outage neither
 * fails the request nor withdraws the claim: the transaction is accepted, as without the header.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import pino from 'pino';
import type { TransactionView } from '../src/transaction/model';
import { isTerminal, workflowIdFor } from '../src/transaction/model';
import { requestFingerprint } from '../src/transaction/request-fingerprint';
import { createApp } from '../src/api/app';
import { loadApiConfig, loadTemporalConfig } from '../src/shared/config';
import type { Database } from '../src/shared/database';
import { TransactionRecords } from '../src/transaction/record';
import type { LocalStack } from '../sandbox/local-stack';
import { callApi, QUICK_FLOW, startTestStack } from './helpers/stack';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('till-wait', { flowOptions: QUICK_FLOW });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

type Body = TransactionView & { error?: { code: string; message: string } };

const transaction = (capture: 'auto' | 'manual') => ({
  transactionId: `tw-${randomUUID()}`,
  customerId: 'cus_demo',
  paymentMethodId: 'pm_approved',
  amount: 1250,
  currency: 'EUR',
  capture,
});

async function historyLength(transactionId: string): Promise<number> {
  return (await stack.client.workflow.getHandle(workflowIdFor(transactionId)).fetchHistory()).events?.length ?? 0;
}

/**
 * The history's length once the workflow has gone quiet: after the decision the flow still writes
 * the authorization into the record and tells the merchant (v9's `noteAuthorized`), a few events
 * that belong to the decision, not to the repeats measured after it.
 */
async function settledHistoryLength(transactionId: string): Promise<number> {
  let previous = await historyLength(transactionId);
  for (let quietReads = 0; quietReads < 3;) {
    await new Promise((r) => setTimeout(r, 300));
    const current = await historyLength(transactionId);
    quietReads = current === previous ? quietReads + 1 : 0;
    previous = current;
  }
  return previous;
}

async function recorded(transactionId: string): Promise<boolean> {
  return (await new TransactionRecords(stack.db).find(transactionId)) !== undefined;
}

async function finished(transactionId: string): Promise<Body> {
  for (;;) {
    const { body } = await callApi<Body>(stack, 'GET', `/v1/transactions/${transactionId}`);
    if (isTerminal(body.status)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a till repeating its waiting request on a decided transaction adds nothing to the history', async () => {
  const request = transaction('manual');
  const wait = { prefer: 'wait=5' };
  expect((await callApi<Body>(stack, 'POST', '/v1/transactions', request)).status).toBe(202);
  // While the authorization is undecided, a waiting repeat waits for the decision.
  const decided = await callApi<Body>(stack, 'POST', '/v1/transactions', request, { headers: { prefer: 'wait=20' } });
  expect([decided.status, decided.body.status]).toEqual([200, 'authorized']);

  const before = await settledHistoryLength(request.transactionId);
  for (let i = 0; i < 20; i++) {
    const repeat = await callApi<Body>(stack, 'POST', '/v1/transactions', request, { headers: wait });
    expect([repeat.status, repeat.headers.get('preference-applied'), repeat.body.status]).toEqual([200, 'wait=5', 'authorized']);
    expect(repeat.body).toMatchObject({ transactionId: request.transactionId, authorizedAmount: 1250, capture: 'manual' });
  }
  // Each update would have added about five events (a hundred in all); a query adds none.
  expect((await historyLength(request.transactionId)) - before).toBeLessThanOrEqual(3);

  expect((await callApi(stack, 'POST', `/v1/transactions/${request.transactionId}/cancel`)).status).toBe(200);
}, 60_000);

describe('the start went through, then Temporal became unreachable', () => {
  const unreachable = () => Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
  /** Starts reach Temporal; every answer after them is lost: an update-with-start's after its start, any wait or query. */
  const outageAfterStart: WorkflowClientInterceptor = {
    async startUpdateWithStart(input, next) {
      await next(input);
      throw unreachable();
    },
    async startUpdate() {
      throw unreachable();
    },
    async query() {
      throw unreachable();
    },
  };
  let server: Server;
  let apiUrl: string;

  /** An API over the stack's Temporal and database whose client meets the outage (and whose database, optionally, fails one statement). */
  async function startApi(db: Database = stack.db): Promise<void> {
    const client = new Client({
      connection: stack.client.connection,
      namespace: stack.client.options.namespace,
      dataConverter: stack.dataConverter,
      interceptors: { workflow: [outageAfterStart] },
    });
    const app = createApp({
      client,
      db,
      taskQueue: loadTemporalConfig(stack.env).taskQueue,
      config: loadApiConfig(stack.env),
      log: pino({ level: 'silent' }),
      flowOptions: QUICK_FLOW,
    });
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  async function post(request: ReturnType<typeof transaction>, headers: Record<string, string> = {}) {
    const response = await fetch(`${apiUrl}/v1/transactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(request),
    });
    return { status: response.status, body: (await response.json()) as Body };
  }

  test('update-with-start: 202 with the accepted transaction, the claim kept, and the payment goes on', async () => {
    await startApi();
    const request = transaction('auto');
    const res = await post(request, { prefer: 'wait=10' });
    expect([res.status, res.body.status, res.body.transactionId]).toEqual([202, 'processing', request.transactionId]);
    expect(await recorded(request.transactionId)).toBe(true);
    expect((await finished(request.transactionId)).status).toBe('succeeded');
  }, 60_000);

  test('a plain start whose run binding fails: 202, and the claim is kept', async () => {
    // The database refuses the API's binding of the run (the workflow's first step binds it all the same).
    const db = new Proxy(stack.db, {
      get(target, prop) {
        if (prop === 'query') {
          return (sql: string, params?: unknown[]) =>
            /SET workflow_run_id/.test(sql) ? Promise.reject(new Error('connection to the database lost')) : target.query(sql, params);
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await startApi(db);
    const request = transaction('auto');
    const res = await post(request);
    expect([res.status, res.body.status]).toEqual([202, 'processing']);
    expect(await recorded(request.transactionId)).toBe(true);
    expect((await finished(request.transactionId)).status).toBe('succeeded');
  }, 60_000);

  test('a plain start of an earlier claim, then a failed wait: the accepted transaction, as without the header', async () => {
    await startApi();
    const request = transaction('auto');
    // Claimed by an earlier call whose start never reached Temporal: this call starts it plainly.
    const claimed = { ...request, merchantId: 'default' };
    expect(await new TransactionRecords(stack.db).claim(claimed, requestFingerprint(claimed))).toEqual({ kind: 'new' });
    const res = await post(request, { prefer: 'wait=10' });
    expect([res.status, res.body.status]).toEqual([200, 'processing']);
    expect(await recorded(request.transactionId)).toBe(true);
    expect((await finished(request.transactionId)).status).toBe('succeeded');
  }, 60_000);
});

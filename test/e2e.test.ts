/**
 * End to end, for real: the Temporal dev server, a worker, the API and the Zuz and PMS
 * simulators, talking HTTP; the database is PostgreSQL when DATABASE_URL is set, else PGlite.
 * Each transaction goes from POST to its terminal state, and is checked against Zuz's ledger.
 * `E2E_ENGINE=cluster` runs the same suite on the production shape instead: the Temporal server
 * on PostgreSQL (`npm run cluster`'s, see sandbox/cluster); `.ci/run` runs it on both.
 */
import { TRANSACTION_ALREADY_PROCESSED } from '../src/shared/failure-codes';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TransactionView } from '../src/transaction/model';
import { isTerminal, workflowIdFor } from '../src/transaction/model';
import { startLocalStack, throwawayStackEnv, type LocalStack, type StackEngine } from '../sandbox/local-stack';
import { MOCK_CARDS } from '../sandbox/simulators/cards';
import { bundleWorkflows, freePort } from './helpers/temporal';
import { signWebhook } from '../src/zuz/signature';
import { requestFingerprint } from '../src/transaction/request-fingerprint';
import { zuzEventSignal } from '../src/transaction/workflow/messages';
import { decodeHistory, findInHistory } from './helpers/history-payloads';

const ENGINES: readonly StackEngine[] = ['dev-server', 'cluster'];
const engine = (process.env.E2E_ENGINE ?? 'dev-server') as StackEngine;
if (!ENGINES.includes(engine)) throw new Error(`E2E_ENGINE: must be one of ${ENGINES.join(', ')} (got "${engine}")`);

let stack: LocalStack;
/** This run's transactions: a database may hold an earlier run's (CI runs the suite on both engines against one PostgreSQL). */
const RUN_PREFIX = `e2e-${randomBytes(3).toString('hex')}-`;

beforeAll(async () => {
  const workflowBundle = await bundleWorkflows();
  stack = await startLocalStack({
    env: throwawayStackEnv('e2e', { TEMPORAL_PORT: String(await freePort()) }),
    workflowBundle,
    installRuntime: false,
    engine,
    flowOptions: { webhookGracePeriod: '3 seconds', pollInitialInterval: '200 milliseconds', pollMaxInterval: '1 second' },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

async function api(method: 'GET' | 'POST', route: string, body?: unknown) {
  const response = await fetch(stack.apiUrl + route, {
    method,
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as TransactionView & { error?: { code: string } } };
}

async function startTransaction(paymentMethodId: string, amount = 1250, capture: 'auto' | 'manual' = 'auto') {
  const transactionId = `${RUN_PREFIX}${randomUUID()}`;
  const created = await api('POST', '/v1/transactions', {
    transactionId,
    customerId: 'cus_demo',
    paymentMethodId,
    amount,
    currency: 'EUR',
    capture,
  });
  expect(created.status).toBe(202);
  return transactionId;
}

async function until(transactionId: string, done: (view: TransactionView) => boolean): Promise<TransactionView> {
  for (;;) {
    const { status, body } = await api('GET', `/v1/transactions/${transactionId}`);
    expect(status).toBe(200);
    if (done(body)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Terminal and finished: the status turns terminal before the last steps (a void, finalize) complete. */
async function untilTerminal(transactionId: string): Promise<TransactionView> {
  await until(transactionId, (view) => isTerminal(view.status));
  await stack.client.workflow.getHandle(workflowIdFor(transactionId)).result();
  return until(transactionId, () => true);
}

/**
 * Every operation Zuz performed on the transaction's payments, in order. Selected by payment id, not
 * by reconciliation id: Zuz's voids carry none, so a filter on it never sees them. The payments are the
 * one the transaction names and any other carrying its reconciliation id (a second payment is a bug to see).
 */
async function ledger(transactionId: string): Promise<string[]> {
  const { status, body } = await api('GET', `/v1/transactions/${transactionId}`);
  expect(status).toBe(200);
  const paymentIds = new Set(stack.zuz.ledger.entries({ reconciliationId: transactionId }).map((e) => e.paymentId));
  if (body.zuz.paymentId) paymentIds.add(body.zuz.paymentId);
  return stack.zuz.ledger
    .entries()
    .filter((e) => paymentIds.has(e.paymentId))
    .map((e) => `${e.kind}:${e.status}:${e.amount}`);
}

test('an approved card: POST -> succeeded, captured exactly once at Zuz, recorded in the database', async () => {
  const id = await startTransaction('pm_approved');
  const view = await untilTerminal(id);

  expect(view.status).toBe('succeeded');
  expect(view.capturedAmount).toBe(1250);
  expect(await ledger(id)).toEqual(['authorization:Succeed:1250', 'capture:Succeed:1250']);
  const { rows } = await stack.db.query<{ status: string; captured_amount: string; account_id: string }>(
    'SELECT status, captured_amount, account_id FROM transactions WHERE transaction_id = $1',
    [id],
  );
  expect(rows[0]).toMatchObject({ status: 'succeeded', account_id: view.accountId });
  expect(Number(rows[0].captured_amount)).toBe(1250);
});

test('a pending authorization is completed by a real, signed Zuz webhook', async () => {
  const id = await startTransaction('pm_pending_approved');
  const view = await untilTerminal(id);

  expect(view.status).toBe('succeeded');
  // 'answer' when the webhook was already in the inbox as createAuthorization returned (the API said Pending).
  expect(view.steps.find((s) => s.name === 'awaitAuthorizationResult')?.branch).toMatch(/^(webhook|answer)$/);
  const delivered = stack.zuz
    .deliveries()
    .filter((d) => d.paymentId === view.zuz.paymentId && d.eventType === 'payment.authorization.update');
  expect(delivered.some((d) => d.statusCode === 200)).toBe(true);
  expect(await ledger(id)).toEqual(['authorization:Succeed:1250', 'capture:Succeed:1250']);
});

test('a declined card ends declined and nothing is captured', async () => {
  const id = await startTransaction('pm_declined');
  const view = await untilTerminal(id);

  expect(view.status).toBe('declined');
  expect(view.failure?.code).toBe('authorization_declined');
  expect(await ledger(id)).toEqual(['authorization:Failed:1250']);
});

test('when Zuz sends no webhook at all, polling finds the result', async () => {
  stack.zuz.setFaults({ webhooks: 'none' });
  try {
    const id = await startTransaction('pm_pending_approved');
    const view = await untilTerminal(id);

    expect(view.status).toBe('succeeded');
    expect(view.steps.find((s) => s.name === 'awaitAuthorizationResult')?.branch).toBe('polling');
    expect(await ledger(id)).toEqual(['authorization:Succeed:1250', 'capture:Succeed:1250']);
  } finally {
    stack.zuz.setFaults({});
  }
});

test('an unknown payment method fails the transaction before anything reaches Zuz', async () => {
  const id = await startTransaction('pm_does_not_exist');
  const view = await untilTerminal(id);

  expect(view.status).toBe('failed');
  expect(view.failure?.code).toBe('payment_method_not_found');
  expect(await ledger(id)).toEqual([]);
});

test('repeating a request returns the same transaction; the same id with another body is refused', async () => {
  const transactionId = `${RUN_PREFIX}${randomUUID()}`;
  const body = { transactionId, customerId: 'cus_demo', paymentMethodId: 'pm_approved', amount: 990, currency: 'EUR' };
  expect((await api('POST', '/v1/transactions', body)).status).toBe(202);
  const again = await api('POST', '/v1/transactions', body);
  expect(again.status).toBe(200);
  expect(again.body.transactionId).toBe(transactionId);
  const conflict = await api('POST', '/v1/transactions', { ...body, amount: 991 });
  expect(conflict.status).toBe(409);
  expect(conflict.body.error?.code).toBe('transaction_conflict');
  await untilTerminal(transactionId);
  expect(await ledger(transactionId)).toEqual(['authorization:Succeed:990', 'capture:Succeed:990']);
});

test('a workflow started with another request but not yet recorded (its start looked failed) makes a new body a 409, leaving no claim', async () => {
  const transactionId = `${RUN_PREFIX}${randomUUID()}`;
  const first = {
    transactionId,
    customerId: 'cus_demo',
    paymentMethodId: 'pm_approved',
    amount: 1310,
    currency: 'EUR',
    capture: 'auto' as const,
  };
  // On a queue no worker polls, so its first step (which records it) never runs.
  const started = await stack.client.workflow.start('processTransaction', {
    workflowId: workflowIdFor(transactionId),
    taskQueue: 'nobody-polls-this-queue',
    args: [{ request: first }],
    memo: { fingerprint: requestFingerprint(first) },
  });
  const other = await api('POST', '/v1/transactions', { ...first, amount: 1311 });
  expect(other.status).toBe(409);
  const { rows } = await stack.db.query(`SELECT 1 FROM transactions WHERE transaction_id = $1`, [transactionId]);
  expect(rows).toEqual([]);
  await started.terminate('test done');
});

test('manual capture: the client captures part of the authorized amount; a later cancel is refused', async () => {
  const id = await startTransaction('pm_approved', 2000, 'manual');
  await until(id, (view) => view.status === 'authorized');

  expect((await api('POST', `/v1/transactions/${id}/capture`, { amount: 2001 })).status).toBe(409);
  const captured = await api('POST', `/v1/transactions/${id}/capture`, { amount: 1500 });
  expect(captured.status).toBe(200);
  const view = await untilTerminal(id);
  expect(view).toMatchObject({ status: 'succeeded', authorizedAmount: 2000, capturedAmount: 1500 });

  const cancel = await api('POST', `/v1/transactions/${id}/cancel`);
  expect(cancel.status).toBe(409);
  expect(cancel.body.error?.code).toBe('invalid_state');
  expect(await ledger(id)).toEqual(['authorization:Succeed:2000', 'capture:Succeed:1500']);

  // A till retrying after a lost response gets the first answer, not a 409 (and nothing is captured again).
  const retried = await api('POST', `/v1/transactions/${id}/capture`, { amount: 1500 });
  expect({ status: retried.status, body: retried.body }).toEqual({ status: 200, body: captured.body });
  expect((await api('POST', `/v1/transactions/${id}/capture`, { amount: 1400 })).status).toBe(409); // another request
  expect(await ledger(id)).toEqual(['authorization:Succeed:2000', 'capture:Succeed:1500']);
});

test('capture with an Idempotency-Key: a retry answers the first result; a malformed key is a 400', async () => {
  const id = await startTransaction('pm_approved', 2000, 'manual');
  await until(id, (view) => view.status === 'authorized');
  const capture = (key: string, amount: number) =>
    fetch(`${stack.apiUrl}/v1/transactions/${id}/capture`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ amount }),
    }).then(async (response) => ({ status: response.status, body: await response.json() }));
  expect((await capture('bad key!', 1000)).status).toBe(400);
  const first = await capture('till-7-receipt-42', 1000);
  expect(first.status).toBe(200);
  expect(await capture('till-7-receipt-42', 1000)).toEqual(first);
  await untilTerminal(id);
  expect(await capture('till-7-receipt-42', 1000)).toEqual(first);
  expect(await ledger(id)).toEqual(['authorization:Succeed:2000', 'capture:Succeed:1000']);
});

test('cancel before capture voids the authorization at Zuz', async () => {
  const id = await startTransaction('pm_approved', 2000, 'manual');
  await until(id, (view) => view.status === 'authorized');

  const cancelled = await api('POST', `/v1/transactions/${id}/cancel`);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  const view = await untilTerminal(id);
  expect(view.failure?.code).toBe('cancelled_by_client');
  expect(await ledger(id)).toEqual(['authorization:Succeed:2000', 'void:Succeed:2000']);
});

test('a capture Zuz declines releases the authorization: the authorized amount voided, nothing captured', async () => {
  const id = await startTransaction('pm_approved', 2000, 'manual');
  await until(id, (view) => view.status === 'authorized');

  // Zuz's mock rules fail a capture below 20 at once; a void releases the payment's whole amount.
  expect((await api('POST', `/v1/transactions/${id}/capture`, { amount: 15 })).status).toBe(200);
  const view = await untilTerminal(id);
  expect(view).toMatchObject({ status: 'failed', failure: { code: 'capture_failed' }, capturedAmount: 0 });
  expect(view.zuz.voidId).toBeDefined();
  expect(await ledger(id)).toEqual(['authorization:Succeed:2000', 'capture:Failed:15', 'void:Succeed:2000']);
});

test("a PMS outage is retried by the step's own policy, and the journal shows the attempts", async () => {
  stack.pms.setFaults({ failNext: 2 });
  const id = await startTransaction('pm_approved');
  const view = await untilTerminal(id);

  expect(view.status).toBe('succeeded');
  const steps = view.steps as Array<TransactionView['steps'][number] & { attempts?: number }>;
  expect(steps.find((s) => s.name === 'createAuthorization')?.attempts).toBe(3);
  expect(steps.find((s) => s.name === 'capturePayment')?.attempts).toBe(1);
  expect(await ledger(id)).toEqual(['authorization:Succeed:1250', 'capture:Succeed:1250']);
});

test('the list filters by status and customer, page by page; a running status comes from Temporal visibility', async () => {
  const id = await startTransaction('pm_approved', 777);
  const manual = await startTransaction('pm_approved', 778, 'manual');
  await untilTerminal(id);
  type Page = { transactions: Array<{ transactionId: string; status: string; amount: number }>; nextCursor?: string };
  let found: Page['transactions'][number] | undefined;
  while (!found) {
    const page = (await api('GET', '/v1/transactions?status=succeeded&customerId=cus_demo&limit=100')).body as unknown as Page;
    expect(page.transactions.every((t) => t.status === 'succeeded')).toBe(true);
    found = page.transactions.find((t) => t.transactionId === id);
    if (!found) await new Promise((r) => setTimeout(r, 200)); // visibility is eventually consistent
  }
  expect(found).toMatchObject({ status: 'succeeded', amount: 777 });

  const first = (await api('GET', '/v1/transactions?limit=1')).body as unknown as Page;
  expect(first.transactions).toHaveLength(1);
  expect(first.nextCursor).toBeDefined();
  const second = (await api('GET', `/v1/transactions?limit=1&cursor=${first.nextCursor}`)).body as unknown as Page;
  expect(second.transactions[0].transactionId).not.toBe(first.transactions[0].transactionId);

  // A running transaction shows its live status, and a running status is listed from visibility.
  await until(manual, (view) => view.status === 'authorized');
  let authorized: Page['transactions'][number] | undefined;
  while (!authorized) {
    const page = (await api('GET', '/v1/transactions?status=authorized&limit=100')).body as unknown as Page;
    authorized = page.transactions.find((t) => t.transactionId === manual);
    if (!authorized) await new Promise((r) => setTimeout(r, 200));
  }
  const all = (await api('GET', '/v1/transactions?limit=100')).body as unknown as Page;
  expect(all.transactions.find((t) => t.transactionId === manual)?.status).toBe('authorized');
  expect((await api('GET', `/v1/transactions?status=authorized&cursor=${first.nextCursor}`)).status).toBe(400); // a cursor of another filter
  await api('POST', `/v1/transactions/${manual}/cancel`);
});

test('capture and cancel of an unknown transaction are 404', async () => {
  expect((await api('POST', '/v1/transactions/no-such-tx/capture', {})).status).toBe(404);
  expect((await api('POST', '/v1/transactions/no-such-tx/cancel')).status).toBe(404);
  expect((await api('GET', '/v1/transactions/no-such-tx')).status).toBe(404);
});

describe('card data', () => {
  // The search reads every payload decoded (helpers/history-payloads.ts): in a fetched history a payload is
  // encoded bytes, so a token inside an activity's input or result never shows in JSON.stringify(history).

  test('control: card data planted in payloads is found by the search, and would not be by a search of JSON.stringify(history)', async () => {
    // Shaped like the PMS's tokens but seeded nowhere, so the search below for the seeded cards stays clean.
    const plantedToken = () => `tok_${randomBytes(12).toString('hex')}`;
    const inRequest = plantedToken();
    const inWebhook = plantedToken();
    // A till that pastes the token into the description: it travels in the workflow's input and its steps' inputs.
    const transactionId = `${RUN_PREFIX}${randomUUID()}`;
    const created = await api('POST', '/v1/transactions', {
      transactionId,
      customerId: 'cus_demo',
      paymentMethodId: 'pm_approved',
      amount: 2000,
      currency: 'EUR',
      capture: 'manual',
      description: `card ${inRequest}`,
    });
    expect(created.status).toBe(202);
    const authorized = await until(transactionId, (view) => view.status === 'authorized');
    // Zuz echoing the token in a late report of the authorization: the flow ignores it (its answer is final), history keeps it.
    const handle = stack.client.workflow.getHandle(workflowIdFor(transactionId));
    await handle.signal(zuzEventSignal, {
      eventId: `evt-control-${randomUUID()}`,
      paymentId: authorized.zuz.paymentId!,
      kind: 'authorization',
      operationId: authorized.zuz.authorizationId!,
      status: 'Succeed',
      amount: 2000,
      description: `Approved for ${inWebhook}`,
    });
    expect((await api('POST', `/v1/transactions/${transactionId}/cancel`)).status).toBe(200);
    const view = await untilTerminal(transactionId);
    expect(view.status).toBe('cancelled');
    // Decrypted first (payload encryption is on): this searches what the flow put in its payloads.
    const history = await decodeHistory(await handle.fetchHistory(), stack.codec);

    // Since flow v8 the request's own steps are local activities, whose inputs are not in the history: the workflow's input is.
    expect(findInHistory(history, inRequest)).toContainEqual(
      expect.stringMatching(/^events\[\d+\]\.workflowExecutionStartedEventAttributes\.input\.payloads\[0\]$/),
    );
    // A local activity's result is in its marker: the account id assignAccountId returned.
    expect(findInHistory(history, view.accountId!)).toContainEqual(
      expect.stringMatching(/^events\[\d+\]\.markerRecordedEventAttributes\.details\.result\.payloads\[0\]$/),
    );
    expect(findInHistory(history, inWebhook)).toContainEqual(
      expect.stringMatching(/^events\[\d+\]\.workflowExecutionSignaledEventAttributes\.input\.payloads\[0\]$/),
    );
    // Zuz's payment id reaches the workflow only in a step's result (createPayment's, a local activity since
    // flow v10: in its marker): results are read too.
    expect(findInHistory(history, view.zuz.paymentId!)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^events\[\d+\]\.markerRecordedEventAttributes\.details\.result\.payloads\[0\]$/),
        // ... and activities' inputs: the authorization and the void name the payment.
        expect.stringMatching(/^events\[\d+\]\.activityTaskScheduledEventAttributes\.input\.payloads\[0\]$/),
      ]),
    );
    // Why the old search could not fail: none of them is in the history as JSON.
    const asJson = JSON.stringify(history);
    for (const planted of [inRequest, inWebhook, view.zuz.paymentId!]) expect(asJson).not.toContain(planted);
  });

  test('no card number or provider token is in any decoded payload of any workflow history, nor in the database', async () => {
    // One transaction of each kind, so the search has them even when this test runs alone.
    const ids = [
      await startTransaction('pm_approved'),
      await startTransaction('pm_declined'),
      await startTransaction('pm_pending_declined'),
      await startTransaction('pm_approved', 2000, 'manual'),
    ];
    await until(ids[3], (view) => view.status === 'authorized');
    expect((await api('POST', `/v1/transactions/${ids[3]}/capture`, { amount: 1500 })).status).toBe(200);
    const outcomes = await Promise.all(ids.map(untilTerminal));
    expect(outcomes.map((view) => view.status)).toEqual(['succeeded', 'declined', 'declined', 'succeeded']);

    // The mock cards have no CVV: their card number and their token are all the card data there is.
    const secrets = MOCK_CARDS.flatMap((card) => [card.cardNumber, card.providerToken]);
    const { rows } = await stack.db.query<{ transaction_id: string }>(
      `SELECT transaction_id FROM transactions WHERE transaction_id LIKE $1`,
      [`${RUN_PREFIX}%`],
    );
    expect(rows.map((row) => row.transaction_id)).toEqual(expect.arrayContaining(ids));
    for (const { transaction_id } of rows) {
      const history = await decodeHistory(await stack.client.workflow.getHandle(workflowIdFor(transaction_id)).fetchHistory(), stack.codec);
      const found = secrets.flatMap((secret) => findInHistory(history, secret).map((path) => `${secret} at ${path}`));
      expect({ transaction_id, found }).toEqual({ transaction_id, found: [] });
    }
    // Not vacuous: each of these histories' decoded payloads do show what the flow got from Zuz.
    for (const view of outcomes) {
      const history = await decodeHistory(
        await stack.client.workflow.getHandle(workflowIdFor(view.transactionId)).fetchHistory(),
        stack.codec,
      );
      expect(findInHistory(history, view.zuz.authorizationId!)).not.toEqual([]);
    }
    const dump = JSON.stringify((await stack.db.query('SELECT * FROM transactions')).rows);
    for (const secret of secrets) expect(dump).not.toContain(secret);
  });
});

// Last in this file: these delete finished workflows, as the namespace's retention period does.
describe('after Temporal has forgotten a transaction, its record still holds', () => {
  async function forget(transactionId: string) {
    const { client } = stack;
    await client.workflowService.deleteWorkflowExecution({
      namespace: client.options.namespace,
      workflowExecution: { workflowId: workflowIdFor(transactionId) },
    });
    for (;;) {
      const gone = await client.workflow
        .getHandle(workflowIdFor(transactionId))
        .describe()
        .then(
          () => false,
          () => true,
        );
      if (gone) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('the same request again answers the recorded transaction and starts nothing; another body is 409', async () => {
    const transactionId = `${RUN_PREFIX}${randomUUID()}`;
    const body = { transactionId, customerId: 'cus_demo', paymentMethodId: 'pm_approved', amount: 1270, currency: 'EUR' };
    expect((await api('POST', '/v1/transactions', body)).status).toBe(202);
    const finished = await untilTerminal(transactionId);
    await forget(transactionId);

    const again = await api('POST', '/v1/transactions', body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      transactionId,
      status: 'succeeded',
      capturedAmount: 1270,
      zuz: finished.zuz,
      steps: [],
      unavailable: ['steps'],
    });
    const conflict = await api('POST', '/v1/transactions', { ...body, amount: 1271 });
    expect(conflict.status).toBe(409);
    // No second workflow ran, and Zuz saw one payment.
    expect(
      await stack.client.workflow
        .getHandle(workflowIdFor(transactionId))
        .describe()
        .then(
          () => 'started',
          () => 'none',
        ),
    ).toBe('none');
    expect(await ledger(transactionId)).toEqual(['authorization:Succeed:1270', 'capture:Succeed:1270']);
    // The list is the record's: a forgotten transaction is still found.
    type Page = { transactions: Array<{ transactionId: string; status: string }>; nextCursor?: string };
    let cursor: string | undefined;
    let listed: Page['transactions'][number] | undefined;
    do {
      const page = (await api('GET', `/v1/transactions?status=succeeded&customerId=cus_demo&limit=10${cursor ? `&cursor=${cursor}` : ''}`))
        .body as unknown as Page;
      listed = page.transactions.find((t) => t.transactionId === transactionId);
      cursor = page.nextCursor;
    } while (!listed && cursor);
    expect(listed).toMatchObject({ status: 'succeeded' });

    const read = await api('GET', `/v1/transactions/${transactionId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      status: 'succeeded',
      authorizedAmount: 1270,
      capturedAmount: 1270,
      accountId: finished.accountId,
      zuz: finished.zuz,
    });
    expect((await api('POST', `/v1/transactions/${transactionId}/cancel`)).status).toBe(409);
  });

  test('a second workflow run for a recorded transaction stops at its first step, before Zuz', async () => {
    const transactionId = `${RUN_PREFIX}${randomUUID()}`;
    const request = {
      transactionId,
      customerId: 'cus_demo',
      paymentMethodId: 'pm_approved',
      amount: 1280,
      currency: 'EUR',
      capture: 'auto' as const,
    };
    expect((await api('POST', '/v1/transactions', request)).status).toBe(202);
    await untilTerminal(transactionId);
    await forget(transactionId);

    // Started around the API, as a script or an operator might.
    const second = await stack.client.workflow.start('processTransaction', {
      workflowId: workflowIdFor(transactionId),
      taskQueue: 'pos-transactions',
      args: [{ request }],
    });
    // Refused by its first step for exactly this reason: another run already acted for the transaction.
    await expect(second.result()).rejects.toMatchObject({ cause: { type: TRANSACTION_ALREADY_PROCESSED } });
    expect(await ledger(transactionId)).toEqual(['authorization:Succeed:1280', 'capture:Succeed:1280']);
    // The record names the run that acted; the refused second run does not hide it.
    const read = await api('GET', `/v1/transactions/${transactionId}`);
    expect(read.body).toMatchObject({ status: 'succeeded', capturedAmount: 1280, unavailable: ['steps'] });
  });

  test('a Zuz event for a finished transaction is stored for reconciliation, once; an unknown one is ignored', async () => {
    const transactionId = await startTransaction('pm_approved', 1290);
    const finished = await untilTerminal(transactionId);
    await forget(transactionId);

    const send = async (eventId: string, reconciliationId: string | undefined, eventType = 'payment.capture.update') => {
      const body = {
        id: eventId,
        created: new Date().toISOString(),
        account_id: 'acc',
        app_id: 'pos-dev-app',
        payment_id: finished.zuz.paymentId,
        data: {
          id: finished.zuz.captureId,
          created: new Date().toISOString(),
          amount: 1290,
          currency: 'EUR',
          reconciliation_id: reconciliationId,
          result: { status: 'Succeed' },
        },
      };
      const response = await fetch(`${stack.apiUrl}/webhooks/zuz`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'event-type': eventType,
          signature: signWebhook({ eventType, body }, 'dev-zuz-private-key'),
        },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { outcome: string } };
    };
    const lateEvent = `evt-late-${randomUUID()}`;
    expect(await send(lateEvent, transactionId)).toEqual({ status: 200, body: { outcome: 'stored' } });
    expect(await send(lateEvent, transactionId)).toEqual({ status: 200, body: { outcome: 'stored' } }); // Zuz's retry
    // A void's event names no transaction: the record finds it by the payment.
    expect((await send(`evt-void-${randomUUID()}`, undefined, 'payment.void.update')).body.outcome).toBe('stored');
    expect((await send(`evt-unknown-${randomUUID()}`, `e2e-unknown-${randomUUID()}`)).body.outcome).toBe('ignored');
    const { rows } = await stack.db.query<{ kind: string; status: string }>(
      `SELECT kind, status FROM zuz_late_events WHERE transaction_id = $1 ORDER BY kind`,
      [transactionId],
    );
    expect(rows).toEqual([
      { kind: 'capture', status: 'Succeed' },
      { kind: 'void', status: 'Succeed' },
    ]);
  });
});

describe('the daily reconciliation', () => {
  test('is a Temporal Schedule', async () => {
    const schedule = await stack.client.schedule.getHandle('daily-reconciliation').describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcileTransactions' });
  });

  test('refunds money Zuz captured for a transaction recorded as failed, once, and reports it; the status stays', async () => {
    const transactionId = await startTransaction('pm_approved', 1300);
    await untilTerminal(transactionId);
    // The record and Zuz disagree, as when a capture lands after the flow decided it had failed.
    await stack.db.query(
      `UPDATE transactions SET status = 'failed', captured_amount = 0, failure_code = 'capture_failed' WHERE transaction_id = $1`,
      [transactionId],
    );

    const reconcile = () =>
      stack.client.workflow.execute('reconcileTransactions', {
        taskQueue: 'pos-transactions',
        workflowId: `reconciliation-${randomUUID()}`,
        args: [{ periodHours: 1 }],
      });
    const first = (await reconcile()) as { runId: string; checked: number };
    expect(first.checked).toBeGreaterThan(0);
    expect(await ledger(transactionId)).toEqual(['authorization:Succeed:1300', 'capture:Succeed:1300', 'refund:Succeed:1300']);
    const second = (await reconcile()) as { runId: string };
    expect(await ledger(transactionId)).toHaveLength(3); // refunded once

    const report = await fetch(`${stack.apiUrl}/v1/reconciliation/runs?limit=5`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    const { runs } = (await report.json()) as {
      runs: Array<{ runId: string; discrepancies: Array<{ transactionId: string; kind: string; outcome: string }> }>;
    };
    const found = (runId: string) =>
      runs.find((run) => run.runId === runId)?.discrepancies.filter((d) => d.transactionId === transactionId);
    expect(found(first.runId)).toEqual([expect.objectContaining({ kind: 'captured_after_failure', outcome: 'refunded' })]);
    expect(found(second.runId)).toEqual([]);
    const read = await api('GET', `/v1/transactions/${transactionId}`);
    expect(read.body.status).toBe('succeeded'); // the workflow's answer is unchanged; the record keeps both facts
    const { rows } = await stack.db.query<{ status: string; refunded_amount: string }>(
      `SELECT status, refunded_amount FROM transactions WHERE transaction_id = $1`,
      [transactionId],
    );
    expect({ status: rows[0].status, refunded: Number(rows[0].refunded_amount) }).toEqual({ status: 'failed', refunded: 1300 });
  });
});

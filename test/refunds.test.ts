/**
 * Refunds and the till's one-request answer, end to end on the real stack (Temporal dev server,
 * worker, API, Zuz and PMS simulators over HTTP): partial refunds, one refused for exceeding the
 * remainder and then the remainder refunded in full, checked against Zuz's ledger; and
 * `Prefer: wait=N` answering with the authorization's decision in one request.
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TransactionView } from '../src/transaction/model';
import { refundKey, refundWorkflowIdFor, type RefundView } from '../src/refund/model';
import { RefundRecords } from '../src/refund/record';
import { refundFingerprint } from '../src/refund/routes';
import { WorkflowNotFoundError } from '@temporalio/client';
import { isTerminal, workflowIdFor } from '../src/transaction/model';
import type { LocalStack } from '../sandbox/local-stack';
import { callApi, QUICK_FLOW, startTestStack } from './helpers/stack';
import { decodeHistory } from './helpers/history-payloads';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('refunds', { flowOptions: QUICK_FLOW });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

type Body = TransactionView & {
  refunds?: RefundView[];
  refundedAmount?: number;
  error?: { code: string; message: string };
} & Partial<RefundView>;

function api(method: 'GET' | 'POST', route: string, body?: unknown, headers: Record<string, string> = {}) {
  return callApi<Body>(stack, method, route, body, { headers });
}

const transaction = (paymentMethodId: string, capture: 'auto' | 'manual' = 'auto') => ({
  transactionId: `rf-${randomUUID()}`,
  customerId: 'cus_demo',
  paymentMethodId,
  amount: 1250,
  currency: 'EUR',
  capture,
});

async function until(route: string, done: (body: Body) => boolean): Promise<Body> {
  for (;;) {
    const { status, body } = await api('GET', route);
    expect(status).toBe(200);
    if (done(body)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function succeeded(): Promise<{ id: string; paymentId: string }> {
  const request = transaction('pm_approved');
  expect((await api('POST', '/v1/transactions', request)).status).toBe(202);
  const view = await until(`/v1/transactions/${request.transactionId}`, (v) => isTerminal(v.status));
  expect(view.status).toBe('succeeded');
  await stack.client.workflow.getHandle(workflowIdFor(request.transactionId)).result(); // finalized in the record
  return { id: request.transactionId, paymentId: view.zuz.paymentId! };
}

const zuzRefunds = (paymentId: string) =>
  stack.zuz.ledger
    .entries()
    .filter((e) => e.paymentId === paymentId && e.kind === 'refund')
    .map((e) => `${e.status}:${e.amount}`);

test('two partial refunds, one refused for exceeding the remainder, then the remainder in full: never beyond the capture', async () => {
  const { id, paymentId } = await succeeded();
  const refunds = `/v1/transactions/${id}/refunds`;

  // 500: Zuz approves at once. 25: Zuz answers Pending and settles it by webhook.
  const first = await api('POST', refunds, { refundId: 'r1', amount: 500, reason: 'one item returned' });
  expect([first.status, first.body.status, first.body.amount]).toEqual([202, 'pending', 500]);
  expect((await api('POST', refunds, { refundId: 'r2', amount: 25, reason: 'price adjustment' })).status).toBe(202);
  // The same refund again is the same refund; its id with another body is a conflict.
  expect((await api('POST', refunds, { refundId: 'r1', amount: 500, reason: 'one item returned' })).status).toBe(200);
  expect((await api('POST', refunds, { refundId: 'r1', amount: 400, reason: 'one item returned' })).body.error?.code).toBe(
    'refund_conflict',
  );

  const tooMuch = await api('POST', refunds, { refundId: 'r3', amount: 1000, reason: 'everything' });
  expect(tooMuch.status).toBe(409);
  expect(tooMuch.body.error).toMatchObject({ code: 'refund_exceeds_refundable', message: 'The refundable amount is 725' });

  // Without an amount: the whole remainder.
  const rest = await api('POST', refunds, { refundId: 'r4', reason: 'order cancelled' });
  expect([rest.status, rest.body.amount]).toEqual([202, 725]);
  expect((await api('POST', refunds, { refundId: 'r5', amount: 1, reason: 'one more' })).body.error?.message).toBe(
    'The refundable amount is 0',
  );

  const view = await until(
    `/v1/transactions/${id}`,
    (v) => (v.refunds ?? []).every((r) => r.status !== 'pending') && v.refunds?.length === 3,
  );
  expect(view.refunds?.map((r) => [r.refundId, r.amount, r.status])).toEqual([
    ['r1', 500, 'succeeded'],
    ['r2', 25, 'succeeded'],
    ['r4', 725, 'succeeded'],
  ]);
  expect(view.refundedAmount).toBe(1250);
  expect(view.status).toBe('succeeded');
  // Zuz performed each refund once (the repeat reused its idempotency key), 1,250 in all.
  expect(zuzRefunds(paymentId).sort()).toEqual(['Succeed:25', 'Succeed:500', 'Succeed:725']);
  // The pending one was settled by Zuz's webhook, delivered to the refund's own workflow.
  const refundEvents = stack.zuz.deliveries().filter((d) => d.paymentId === paymentId && d.eventType.startsWith('payment.refund'));
  expect(refundEvents.some((d) => d.statusCode === 200 && d.answer?.includes('"delivered"'))).toBe(true);
}, 120_000);

test('a refund Zuz declines fails, and its amount can be refunded again', async () => {
  const { id, paymentId } = await succeeded();
  const refunds = `/v1/transactions/${id}/refunds`;
  // 15: Zuz fails it at once.
  expect((await api('POST', refunds, { refundId: 'small', amount: 15, reason: 'test' })).status).toBe(202);
  await until(`/v1/transactions/${id}`, (v) => v.refunds?.[0]?.status === 'failed');
  const all = await api('POST', refunds, { refundId: 'all', reason: 'order cancelled' });
  expect([all.status, all.body.amount]).toEqual([202, 1250]);
  await until(`/v1/transactions/${id}`, (v) => v.refundedAmount === 1250);
  expect(zuzRefunds(paymentId).sort()).toEqual(['Failed:15', 'Succeed:1250']);
}, 60_000);

/** Temporal's retention, on demand: the workflow deleted, as a day after it closed (tools/chaos/forget.ts does the same). */
async function forgetWorkflow(workflowId: string): Promise<void> {
  const { client } = stack;
  await client.workflowService.deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: { workflowId } });
  for (;;) {
    const gone = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        () => false,
        (err: unknown) => err instanceof WorkflowNotFoundError,
      );
    if (gone) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the record decides a refund for ever: a repeat of one that may have reached Zuz starts nothing once Temporal has forgotten it; one never sent is started', async () => {
  const { id, paymentId } = await succeeded();
  const refunds = `/v1/transactions/${id}/refunds`;
  const once = { refundId: 'once', amount: 300, reason: 'one item returned' };
  expect((await api('POST', refunds, once)).status).toBe(202);
  await until(`/v1/transactions/${id}`, (v) => v.refunds?.[0]?.status === 'succeeded');
  const workflowId = refundWorkflowIdFor(refundKey(id, 'once'));
  await stack.client.workflow.getHandle(workflowId).result();
  // The record as a refund still pending at its deadline leaves it, once retention has passed.
  await stack.db.query(`UPDATE refunds SET status = 'pending', finalized_at = NULL WHERE transaction_id = $1 AND refund_id = 'once'`, [id]);
  await forgetWorkflow(workflowId);

  const repeat = await api('POST', refunds, once);
  expect([repeat.status, repeat.body.status]).toEqual([200, 'pending']);
  // No workflow was started for it: with Zuz's idempotency key expired too, one would have refunded again.
  await expect(stack.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect(zuzRefunds(paymentId)).toEqual(['Succeed:300']);

  // A reservation whose workflow never started (Temporal unreachable at the time) never asked Zuz: its repeat starts it.
  const unsent = { refundId: 'unsent', amount: 200, reason: 'price adjustment' };
  await new RefundRecords(stack.db).reserve(id, unsent, refundFingerprint(unsent));
  expect((await api('POST', refunds, unsent)).status).toBe(200);
  await until(`/v1/transactions/${id}`, (v) => v.refunds?.find((r) => r.refundId === 'unsent')?.status === 'succeeded');
  expect(zuzRefunds(paymentId).sort()).toEqual(['Succeed:200', 'Succeed:300']);
}, 60_000);

test('only a succeeded transaction can be refunded; another id is 404', async () => {
  const declined = transaction('pm_declined');
  await api('POST', '/v1/transactions', declined);
  await until(`/v1/transactions/${declined.transactionId}`, (v) => isTerminal(v.status));
  await stack.client.workflow.getHandle(workflowIdFor(declined.transactionId)).result();
  const refused = await api('POST', `/v1/transactions/${declined.transactionId}/refunds`, { refundId: 'r', reason: 'x' });
  expect([refused.status, refused.body.error?.code]).toEqual([409, 'invalid_state']);
  expect((await api('POST', `/v1/transactions/nope-${randomUUID()}/refunds`, { refundId: 'r', reason: 'x' })).status).toBe(404);
  expect((await api('POST', `/v1/transactions/${declined.transactionId}/refunds`, { refundId: 'r' })).status).toBe(400);
}, 60_000);

describe('Prefer: wait=N — the decision in one request', () => {
  test.each([
    ['pm_approved', 'auto', ['capturing', 'succeeded']],
    ['pm_approved', 'manual', ['authorized']],
    ['pm_declined', 'auto', ['declined']],
    ['pm_pending_approved', 'manual', ['authorized']],
  ] as const)(
    '%s (%s capture): 201 with the decided transaction',
    async (paymentMethodId, capture, decided) => {
      const request = transaction(paymentMethodId, capture);
      const res = await api('POST', '/v1/transactions', request, { prefer: 'wait=10' });
      expect(res.status).toBe(201);
      expect(res.headers.get('preference-applied')).toBe('wait=10');
      expect(decided).toContain(res.body.status);
      expect(res.body.transactionId).toBe(request.transactionId);
      if (capture === 'manual') expect((await api('POST', `/v1/transactions/${request.transactionId}/cancel`)).status).toBe(200);
    },
    30_000,
  );

  test('no decision within N seconds: 202 as without the header; a repeat that waits gets the decision', async () => {
    stack.zuz.setFaults({ latencyMs: 2500 });
    try {
      const request = transaction('pm_approved', 'manual');
      const res = await api('POST', '/v1/transactions', request, { prefer: 'wait=1' });
      expect([res.status, res.body.status]).toEqual([202, 'processing']);
      const repeat = await api('POST', '/v1/transactions', request, { prefer: 'respond-async, wait=20' });
      expect([repeat.status, repeat.body.status]).toEqual([200, 'authorized']);
      expect((await api('POST', `/v1/transactions/${request.transactionId}/cancel`)).status).toBe(200);
    } finally {
      stack.zuz.setFaults({});
    }
  }, 60_000);

  test('the same request twice at once, both waiting: one transaction, both answered with it, never a 5xx', async () => {
    const request = transaction('pm_approved', 'manual');
    const answers = await Promise.all([1, 2].map(() => api('POST', '/v1/transactions', request, { prefer: 'wait=10' })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(answers.map((a) => a.body.status)).toEqual(['authorized', 'authorized']);
    expect((await api('POST', `/v1/transactions/${request.transactionId}/cancel`)).status).toBe(200);
  }, 60_000);

  test('without the header nothing changes, and more than 30 seconds is capped at 30', async () => {
    const plain = await api('POST', '/v1/transactions', transaction('pm_approved'));
    expect([plain.status, plain.headers.get('preference-applied')]).toEqual([202, null]);
    const capped = await api('POST', '/v1/transactions', transaction('pm_approved'), { prefer: 'wait=600' });
    expect([capped.status, capped.headers.get('preference-applied')]).toEqual([201, 'wait=30']);
  }, 60_000);
});

test('the list finds transactions as an operator would: refunded or not, amount and creation-time ranges, live statuses too', async () => {
  const { id } = await succeeded();
  const from = new Date(Date.now() - 60_000).toISOString();
  await api('POST', `/v1/transactions/${id}/refunds`, { refundId: 'r', amount: 100, reason: 'x' });
  await until(`/v1/transactions/${id}`, (v) => v.refundedAmount === 100);
  const manual = transaction('pm_approved', 'manual');
  await api('POST', '/v1/transactions', { ...manual, amount: 777 });
  await until(`/v1/transactions/${manual.transactionId}`, (v) => (v.status as string) === 'authorized');

  const ids = async (query: string) => {
    const { status, body } = await api('GET', `/v1/transactions?limit=100&${query}`);
    expect(status).toBe(200);
    return (body as unknown as { transactions: Array<{ transactionId: string }> }).transactions.map((t) => t.transactionId);
  };
  expect(await ids('refunded=true')).toContain(id);
  expect(await ids('refunded=false')).not.toContain(id);
  expect(await ids(`createdFrom=${from}&minAmount=1250&maxAmount=1250`)).toContain(id);
  expect(await ids('minAmount=1251')).not.toContain(id);
  expect(await ids(`createdTo=${from}`)).not.toContain(id);
  // A running status lists from visibility (eventually consistent), with the same filters.
  for (let i = 0; i < 100 && !(await ids('status=authorized&minAmount=777&maxAmount=777')).includes(manual.transactionId); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(await ids('status=authorized&minAmount=777&maxAmount=777')).toContain(manual.transactionId);
  expect(await ids('status=authorized&minAmount=778')).not.toContain(manual.transactionId);
  expect(await ids(`status=authorized&createdFrom=${from}`)).toContain(manual.transactionId);
  // A wrong range is a 400 naming the field.
  const wrong = await api('GET', '/v1/transactions?minAmount=10&maxAmount=5');
  expect([wrong.status, wrong.body.error?.message]).toEqual([400, 'maxAmount: maxAmount must not be below minAmount']);
  expect((await api('POST', `/v1/transactions/${manual.transactionId}/cancel`)).status).toBe(200);
}, 60_000);

test('the Web UI tells the story: a summary for the workflow, for each step and timer, and where it stands', async () => {
  const request = transaction('pm_pending_approved', 'manual');
  await api('POST', '/v1/transactions', request);
  await until(`/v1/transactions/${request.transactionId}`, (v) => (v.status as string) === 'authorized');
  const handle = stack.client.workflow.getHandle(workflowIdFor(request.transactionId));

  const described = await handle.describe();
  expect(await described.staticSummary()).toBe('12.50 EUR from cus_demo, manual capture');
  // The workflow's current details, as the Web UI reads them (the SDK's built-in metadata query).
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toBe('**authorized** · 12.50 EUR · awaitCaptureRequest running');

  // The summaries are payloads like any other: encrypted in the history, decrypted here with the stack's codec.
  const summaries = ((await decodeHistory(await handle.fetchHistory(), stack.codec)).events ?? [])
    .map((event) => event.userMetadata?.summary)
    .filter((summary): summary is NonNullable<typeof summary> => !!summary)
    .map((summary) => defaultPayloadConverter.fromPayload<string>(summary));
  expect(summaries).toEqual(
    expect.arrayContaining([
      'open a payment of 12.50 EUR at Zuz',
      'authorize 12.50 EUR at Zuz',
      'wait up to 7 days for the capture or cancel request',
    ]),
  );
  expect((await api('POST', `/v1/transactions/${request.transactionId}/cancel`)).status).toBe(200);
}, 60_000);

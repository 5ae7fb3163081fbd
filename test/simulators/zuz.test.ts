/**
 * The Zuz simulator over real HTTP, with a local webhook receiver. Small time scales make the
 * provider's "later" happen within milliseconds.
 */
import { createHmac } from 'node:crypto';
import { startZuzSimulator, type ZuzSimulator, type ZuzSimulatorOptions } from '../../sandbox/simulators/zuz';
import { zuzOptionsFromEnv } from '../../sandbox/simulators/zuz/envConfig';
import { authorizationOutcome, amountOutcome } from '../../sandbox/simulators/zuz/outcomes';
import { zuzError, zuzPayment, zuzTransaction, zuzWebhookEvent } from '../../src/zuz/wire';
import { httpRequest } from './support/http';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './support/webhookReceiver';
import { APP_ID, PRIVATE_KEY, ZuzTestClient } from './support/zuzClient';

/** 24 h become 8.6 s and "~10 s" half a millisecond: fine unless a test waits for a 24 h thing. */
const FAST = 1e-4;
/** 24 h become ~170 ms: for the 40-49 band, the retry window and the idempotency window. */
const DAY_IN_170_MS = 2e-6;

let sim: ZuzSimulator;
let receiver: WebhookReceiver;
let zuz: ZuzTestClient;

async function start(options: Partial<ZuzSimulatorOptions> = {}): Promise<void> {
  receiver = await startWebhookReceiver();
  sim = await startZuzSimulator({
    appId: APP_ID,
    privateKey: PRIVATE_KEY,
    accountId: 'acc_test',
    timeScale: FAST,
    webhookUrl: receiver.url,
    ...options,
  });
  zuz = new ZuzTestClient(sim.url);
}

afterEach(async () => {
  await sim?.close();
  await receiver?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const eventTypes = (webhooks: ReceivedWebhook[]) => webhooks.map((w) => `${String(w.headers['event-type'])}:${w.body.data.result.status}`);

/** Written out here, independently of src/zuz/signature.ts. */
function independentSignature(eventType: string, body: any, privateKey: string): string {
  const data = body.data;
  const fields = [
    eventType,
    body.id,
    body.account_id,
    body.payment_id,
    body.created,
    body.app_id,
    data.id,
    data.result.status,
    data.result.category ?? '',
    data.result.sub_category ?? '',
    data.provider_data?.response_code ?? '',
    data.reconciliation_id ?? '',
    String(data.amount),
    data.currency,
  ];
  return 'sig1=' + createHmac('sha256', privateKey).update(fields.join(',')).digest('hex');
}

describe('headers and errors', () => {
  beforeEach(() => start());

  it('answers 401 api_authentication_error for missing or wrong credentials, and for the wrong environment', async () => {
    const cases = [
      { 'private-key': undefined },
      { 'private-key': 'wrong' },
      { 'app-id': 'someone-else' },
      { 'x-payments-os-env': 'live' },
      { 'x-payments-os-env': undefined },
    ];
    for (const headers of cases) {
      const res = await zuz.post('/payments', { amount: 100, currency: 'EUR' }, headers);
      expect(res.status).toBe(401);
      expect(zuzError.parse(res.body).category).toBe('api_authentication_error');
      expect(res.headers['x-zooz-request-id']).toEqual(expect.any(String));
    }
    expect(sim.ledger.entries()).toEqual([]);
  });

  it('answers 400 api_request_error for a wrong api-version, a missing idempotency-key, a bad or malformed body', async () => {
    const wrongVersion = await zuz.post('/payments', { amount: 100, currency: 'EUR' }, { 'api-version': '1.2.0' });
    const noVersion = await zuz.get('/payments/pay_x', { 'api-version': undefined });
    const noKey = await httpRequest(`${sim.url}/payments`, {
      method: 'POST',
      headers: zuz.headers(),
      body: { amount: 100, currency: 'EUR' },
    });
    const badBody = await zuz.post('/payments', { amount: -5, currency: 'euro' });
    const malformed = await zuz.post('/payments', '{"amount": 1', {});
    for (const res of [wrongVersion, noVersion, noKey, badBody, malformed]) {
      expect(res.status).toBe(400);
      expect(zuzError.parse(res.body).category).toBe('api_request_error');
      expect(res.headers['x-zooz-request-id']).toEqual(expect.any(String));
    }
    expect(noKey.body.description).toMatch(/idempotency-key/);
    expect(badBody.body.more_info).toMatch(/amount/);
  });

  it('answers 404 for an unknown payment, authorization, capture or route', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    const responses = [
      await zuz.get('/payments/pay_unknown'),
      await zuz.authorize('pay_unknown', 'pm_approved'),
      await zuz.capture('pay_unknown', 10),
      await zuz.void('pay_unknown'),
      await zuz.get(`/payments/${paymentId}/authorizations/auth_unknown`),
      await zuz.refund(paymentId, 10, undefined, { capture_id: 'cap_unknown' }),
      await zuz.get('/nowhere'),
    ];
    for (const res of responses) {
      expect(res.status).toBe(404);
      expect(zuzError.parse(res.body).category).toBe('api_request_error');
    }
  });

  it('answers 400 for an authorization with a token nobody issued', async () => {
    const payment = await zuz.createPayment(100);
    const res = await zuz.post(`/payments/${payment.body.id}/authorizations`, {
      payment_method: { type: 'tokenized', token: 'tok_000000000000000000000000' },
      reconciliation_id: 'rec-1',
    });
    expect(res.status).toBe(400);
    expect(res.body.category).toBe('api_request_error');
    expect(sim.ledger.entries()).toEqual([]);
  });

  it('puts a distinct X-Zooz-Request-Id on every response', async () => {
    const a = await zuz.createPayment(100);
    const b = await zuz.get(`/payments/${a.body.id}`);
    expect(a.headers['x-zooz-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers['x-zooz-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers['x-zooz-request-id']).not.toBe(b.headers['x-zooz-request-id']);
  });
});

describe('payments', () => {
  beforeEach(() => start());

  it('creates an Initialized payment and returns it by id', async () => {
    const created = await zuz.createPayment(1250);
    expect(created.status).toBe(201);
    const payment = zuzPayment.parse(created.body);
    expect(payment).toMatchObject({
      status: 'Initialized',
      amount: 1250,
      currency: 'EUR',
      customer_id: 'cus_demo',
      order: { id: 'order-1' },
    });
    expect(payment.id).toMatch(/^pay_[0-9a-f-]{36}$/);
    expect(payment.possible_next_actions?.map((a) => a.action)).toEqual(['authorization']);

    const read = await zuz.payment(payment.id);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('lists transactions under related_resources only when expanded', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    const capture = await zuz.capture(paymentId, 60);

    expect((await zuz.payment(paymentId)).body.related_resources).toBeUndefined();

    const captures = zuzPayment.parse((await zuz.payment(paymentId, 'captures')).body);
    expect(Object.keys(captures.related_resources ?? {})).toEqual(['captures']);
    expect(captures.related_resources?.captures?.map((c) => c.id)).toEqual([capture.body.id]);

    for (const expand of ['all', 'authorizations,captures,voids,refunds']) {
      const all = zuzPayment.parse((await zuz.payment(paymentId, expand)).body);
      expect(all.related_resources?.authorizations).toHaveLength(1);
      expect(all.related_resources?.captures).toHaveLength(1);
      expect(all.related_resources?.voids).toEqual([]);
      expect(all.related_resources?.refunds).toEqual([]);
    }
  });

  it('moves the payment status Initialized -> Authorized -> Captured -> Refunded', async () => {
    const created = await zuz.createPayment(120);
    const id = created.body.id;
    await zuz.authorize(id, 'pm_approved');
    expect((await zuz.payment(id)).body.status).toBe('Authorized');
    await zuz.capture(id, 120);
    expect((await zuz.payment(id)).body.status).toBe('Captured');
    await zuz.refund(id, 60);
    expect((await zuz.payment(id)).body.status).toBe('Captured'); // partly refunded
    await zuz.refund(id, 60);
    const payment = zuzPayment.parse((await zuz.payment(id)).body);
    expect(payment.status).toBe('Refunded');
    expect(payment.possible_next_actions).toEqual([]);
  });
});

describe('authorization outcomes by card', () => {
  // "~10 s" becomes 50 ms: long enough to see Pending, short enough to wait for.
  beforeEach(() => start({ timeScale: 0.01 }));

  it('pm_approved (any other valid card): Succeed at once, payment Authorized', async () => {
    const payment = await zuz.createPayment(100);
    const res = await zuz.authorize(payment.body.id, 'pm_approved');
    expect(res.status).toBe(201);
    const authorization = zuzTransaction.parse(res.body);
    expect(authorization.id).toMatch(/^auth_[0-9a-f-]{36}$/);
    expect(authorization).toMatchObject({ amount: 100, currency: 'EUR', result: { status: 'Succeed' } });
    expect(authorization.provider_data?.authorization_code).toMatch(/^\d{6}$/);
    expect((await zuz.payment(payment.body.id)).body.status).toBe('Authorized');

    const read = await zuz.get(`/payments/${payment.body.id}/authorizations/${authorization.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
  });

  it('pm_declined (4242...): Failed at once with payment_method_declined / 102 / DECLINED', async () => {
    const payment = await zuz.createPayment(100);
    const res = await zuz.authorize(payment.body.id, 'pm_declined');
    expect(res.status).toBe(201);
    expect(res.body.result).toMatchObject({ status: 'Failed', category: 'payment_method_declined', description: 'DECLINED' });
    expect(res.body.provider_data).toMatchObject({ response_code: '102', description: 'DECLINED' });
    expect((await zuz.payment(payment.body.id)).body.status).toBe('Initialized');
    expect(sim.ledger.entries()).toMatchObject([{ kind: 'authorization', status: 'Failed' }]);
  });

  it.each([
    ['pm_pending_approved', 'Succeed', 'Authorized'],
    ['pm_pending_declined', 'Failed', 'Initialized'],
  ] as const)('%s: Pending, then %s (payment %s), announced by create and update webhooks', async (method, finalStatus, paymentStatus) => {
    const payment = await zuz.createPayment(100);
    const res = await zuz.authorize(payment.body.id, method);
    expect(res.body.result.status).toBe('Pending');
    expect((await zuz.payment(payment.body.id)).body.status).toBe('Pending');

    await sim.idle();
    const read = await zuz.get(`/payments/${payment.body.id}/authorizations/${res.body.id}`);
    expect(read.body.result.status).toBe(finalStatus);
    expect(read.body.provider_data.transaction_id).toBe(res.body.provider_data.transaction_id);
    expect((await zuz.payment(payment.body.id)).body.status).toBe(paymentStatus);
    expect(sim.ledger.entries({ paymentId: payment.body.id })).toMatchObject([{ kind: 'authorization', status: finalStatus }]);

    const webhooks = await receiver.waitFor(2);
    expect(webhooks.map((w) => w.body.data.id)).toEqual([res.body.id, res.body.id]);
    expect(eventTypes(webhooks).sort()).toEqual(
      [`payment.authorization.create:Pending`, `payment.authorization.update:${finalStatus}`].sort(),
    );
  });

  it("uses the notes' card numbers, Mastercard ones included", () => {
    expect(authorizationOutcome('5555555555554444')).toEqual({ kind: 'immediate', status: 'Failed' });
    expect(authorizationOutcome('5105105105105100')).toMatchObject({ kind: 'pending', finalStatus: 'Succeed' });
    expect(authorizationOutcome('5454545454545454')).toMatchObject({ kind: 'pending', finalStatus: 'Failed' });
    expect(authorizationOutcome('4000056655665556')).toEqual({ kind: 'immediate', status: 'Succeed' });
    expect(amountOutcome(19)).toEqual({ kind: 'immediate', status: 'Failed' });
    expect(amountOutcome(50)).toEqual({ kind: 'immediate', status: 'Succeed' });
  });
});

describe('capture, void and refund outcomes by amount', () => {
  beforeEach(() => start({ timeScale: DAY_IN_170_MS }));

  // [amount, first answer, final status, resolves only after "24 h"]
  const bands = [
    [10, 'Failed', 'Failed', false],
    [25, 'Pending', 'Succeed', false],
    [35, 'Pending', 'Failed', false],
    [45, 'Pending', 'Succeed', true],
    [60, 'Succeed', 'Succeed', false],
  ] as const;

  async function expectResolution(
    paymentId: string,
    kind: 'captures' | 'voids' | 'refunds',
    id: string,
    finalStatus: string,
    slow: boolean,
  ) {
    const statusNow = async () =>
      (await zuz.payment(paymentId, kind)).body.related_resources[kind].find((t: any) => t.id === id).result.status;
    await sleep(30); // long past "~10 s" (0.01 ms here), well before "24 h" (~170 ms)
    if (slow) expect(await statusNow()).toBe('Pending');
    else expect(await statusNow()).toBe(finalStatus);
    await sim.idle();
    expect(await statusNow()).toBe(finalStatus);
  }

  it.each(bands)('capture of %i: %s first, then %s', async (amount, first, finalStatus, slow) => {
    const paymentId = await zuz.authorizedPayment(amount);
    const res = await zuz.capture(paymentId, amount);
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^cap_/);
    expect(res.body.result.status).toBe(first);
    await expectResolution(paymentId, 'captures', res.body.id, finalStatus, slow);
    expect((await zuz.payment(paymentId)).body.status).toBe(finalStatus === 'Succeed' ? 'Captured' : 'Authorized');
  });

  it.each(bands)('void of a %i payment: %s first, then %s', async (amount, first, finalStatus, slow) => {
    const paymentId = await zuz.authorizedPayment(amount);
    const res = await zuz.void(paymentId);
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^void_/);
    expect(res.body).toMatchObject({ amount, result: { status: first } });
    await expectResolution(paymentId, 'voids', res.body.id, finalStatus, slow);
    expect((await zuz.payment(paymentId)).body.status).toBe(finalStatus === 'Succeed' ? 'Voided' : 'Authorized');
  });

  it.each(bands)('refund of %i: %s first, then %s', async (amount, first, finalStatus, slow) => {
    const paymentId = await zuz.capturedPayment(amount + 100);
    const res = await zuz.refund(paymentId, amount);
    expect(res.status).toBe(201);
    expect(res.body.result.status).toBe(first);
    await expectResolution(paymentId, 'refunds', res.body.id, finalStatus, slow);
    expect((await zuz.payment(paymentId)).body.status).toBe('Captured');
  });

  it('a declined capture sends its Failed details in the create webhook', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    const res = await zuz.capture(paymentId, 15);
    expect(res.body.result).toMatchObject({ status: 'Failed', category: 'payment_method_declined' });
    expect(res.body.provider_data.response_code).toBe('102');
    await sim.idle();
    const capture = receiver.received.find((w) => w.headers['event-type'] === 'payment.capture.create');
    expect(capture?.body.data).toEqual(res.body);
  });
});

describe('state transitions (409)', () => {
  beforeEach(() => start());

  async function expectConflict(res: Promise<{ status: number; body: any }>) {
    const answer = await res;
    expect(answer.status).toBe(409);
    expect(zuzError.parse(answer.body).category).toBe('api_request_error');
  }

  it('refuses capture and void without a successful authorization', async () => {
    const fresh = (await zuz.createPayment(100)).body.id;
    await expectConflict(zuz.capture(fresh, 100));
    await expectConflict(zuz.void(fresh));

    const declined = (await zuz.createPayment(100)).body.id;
    await zuz.authorize(declined, 'pm_declined');
    await expectConflict(zuz.capture(declined, 100));
    await expectConflict(zuz.void(declined));
    expect(sim.ledger.entries({ paymentId: fresh })).toEqual([]);
  });

  it('refuses capture and void while the authorization is still Pending', async () => {
    await sim.close();
    await receiver.close();
    await start({ timeScale: 1 }); // the Pending authorization stays Pending for 5 s
    const pending = (await zuz.createPayment(100)).body.id;
    await zuz.authorize(pending, 'pm_pending_approved');
    expect((await zuz.payment(pending)).body.status).toBe('Pending');
    await expectConflict(zuz.capture(pending, 100));
    await expectConflict(zuz.void(pending));
  });

  it('refuses a second authorization, even under a new key', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    await expectConflict(zuz.authorize(paymentId, 'pm_approved'));
    const declined = (await zuz.createPayment(100)).body.id;
    await zuz.authorize(declined, 'pm_declined');
    await expectConflict(zuz.authorize(declined, 'pm_approved'));
    expect(sim.ledger.entries({ paymentId }).filter((e) => e.kind === 'authorization')).toHaveLength(1);
  });

  it('refuses capture after void and void after capture', async () => {
    const voided = await zuz.authorizedPayment(100);
    expect((await zuz.void(voided)).status).toBe(201);
    await expectConflict(zuz.capture(voided, 100));
    await expectConflict(zuz.void(voided));

    const captured = await zuz.authorizedPayment(100);
    expect((await zuz.capture(captured, 60)).status).toBe(201);
    await expectConflict(zuz.void(captured));
  });

  it('refuses a capture over the authorized amount, counting earlier captures', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    await expectConflict(zuz.capture(paymentId, 101));
    expect((await zuz.capture(paymentId, 60)).status).toBe(201);
    await expectConflict(zuz.capture(paymentId, 41));
    expect((await zuz.capture(paymentId)).body.amount).toBe(40); // no amount: the rest
    await expectConflict(zuz.capture(paymentId));
    expect(
      sim.ledger
        .entries({ paymentId })
        .filter((e) => e.kind === 'capture')
        .map((e) => e.amount),
    ).toEqual([60, 40]);
  });

  it('refuses a refund without a capture, or over the captured amount', async () => {
    const authorized = await zuz.authorizedPayment(100);
    await expectConflict(zuz.refund(authorized, 50));
    const captured = await zuz.capturedPayment(100);
    await expectConflict(zuz.refund(captured, 101));
    expect((await zuz.refund(captured)).body.amount).toBe(100);
    expect((await zuz.payment(captured)).body.status).toBe('Refunded');
    await expectConflict(zuz.refund(captured, 1));
  });
});

describe('idempotency', () => {
  beforeEach(() => start());

  it('replays the original answer for a repeated key and performs nothing, even with another body', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    const first = await zuz.capture(paymentId, 60, 'capture-key');
    const again = await zuz.capture(paymentId, 60, 'capture-key');
    const changed = await zuz.capture(paymentId, 70, 'capture-key');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(changed.body).toEqual(first.body);
    expect(sim.ledger.entries({ paymentId }).filter((e) => e.kind === 'capture')).toHaveLength(1);
  });

  it('performs again under a new key, and the transition rules still apply', async () => {
    const paymentId = await zuz.authorizedPayment(120);
    const one = await zuz.capture(paymentId, 60, 'key-1', 'rec-same');
    const two = await zuz.capture(paymentId, 60, 'key-2', 'rec-same');
    expect(two.status).toBe(201);
    expect(two.body.id).not.toBe(one.body.id);
    expect(sim.ledger.entries({ reconciliationId: 'rec-same' }).map((e) => e.operationId)).toEqual([one.body.id, two.body.id]);
    const three = await zuz.capture(paymentId, 60, 'key-3', 'rec-same');
    expect(three.status).toBe(409);
    expect(sim.ledger.entries({ reconciliationId: 'rec-same' })).toHaveLength(2);
  });

  it('replays the original body even after the transaction moved on', async () => {
    sim.setFaults({ webhooks: 'none' });
    const payment = await zuz.createPayment(100);
    const first = await zuz.authorize(payment.body.id, 'pm_pending_approved', 'auth-key');
    await sim.idle();
    const replay = await zuz.authorize(payment.body.id, 'pm_pending_approved', 'auth-key');
    expect(replay.status).toBe(201);
    expect(replay.body.result.status).toBe('Pending');
    expect(replay.body).toEqual(first.body);
    expect((await zuz.payment(payment.body.id)).body.status).toBe('Authorized');
  });

  it('replays errors too, and creating a payment twice under one key gives one payment', async () => {
    const a = await zuz.createPayment(100, 'create-key');
    const b = await zuz.createPayment(999, 'create-key');
    expect(b.body).toEqual(a.body);
    const conflictOnce = await zuz.capture(a.body.id, 10, 'early-capture');
    await zuz.authorize(a.body.id, 'pm_approved');
    const conflictAgain = await zuz.capture(a.body.id, 10, 'early-capture');
    expect([conflictOnce.status, conflictAgain.status]).toEqual([409, 409]);
    expect(conflictAgain.body).toEqual(conflictOnce.body);
  });

  it('scopes keys per endpoint path', async () => {
    const p1 = await zuz.authorizedPayment(100);
    const p2 = await zuz.authorizedPayment(100);
    expect((await zuz.capture(p1, 60, 'shared-key')).status).toBe(201);
    expect((await zuz.capture(p2, 60, 'shared-key')).status).toBe(201);
    expect((await zuz.void(await zuz.authorizedPayment(100), 'shared-key')).status).toBe(201);
    expect(sim.ledger.entries().filter((e) => e.kind !== 'authorization')).toHaveLength(3);
  });

  it('forgets a key after 24 h (scaled)', async () => {
    await sim.close();
    await receiver.close();
    await start({ timeScale: 1e-6 }); // 24 h = 86 ms
    const a = await zuz.createPayment(100, 'old-key');
    await sleep(120);
    const b = await zuz.createPayment(100, 'old-key');
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });
});

describe('webhooks', () => {
  beforeEach(() => start());

  it('sends signed events with the provider headers and body', async () => {
    const payment = await zuz.createPayment(100);
    const declined = await zuz.authorize(payment.body.id, 'pm_declined');
    const approved = await zuz.authorizedPayment(100);
    const capture = await zuz.capture(approved, 60);
    await sim.idle();
    const webhooks = await receiver.waitFor(3);

    for (const webhook of webhooks) {
      const eventType = String(webhook.headers['event-type']);
      expect(webhook.headers['content-type']).toBe('application/json');
      expect(webhook.headers['x-payments-os-env']).toBe('test');
      expect(webhook.headers['x-zooz-request-id']).toEqual(expect.any(String));
      expect(webhook.headers.signature).toBe(independentSignature(eventType, webhook.body, PRIVATE_KEY));
      expect(webhook.headers.signature).not.toBe(independentSignature(eventType, webhook.body, 'another-key'));
      const event = zuzWebhookEvent.parse(webhook.body);
      expect(event.id).toMatch(/^evt_[0-9a-f-]{36}$/);
      expect(event).toMatchObject({ account_id: 'acc_test', app_id: APP_ID });
    }
    const byData = new Map(webhooks.map((w) => [w.body.data.id, w]));
    expect(byData.get(declined.body.id)?.body).toMatchObject({ payment_id: payment.body.id, data: declined.body });
    expect(byData.get(declined.body.id)?.headers['event-type']).toBe('payment.authorization.create');
    expect(byData.get(capture.body.id)?.headers['event-type']).toBe('payment.capture.create');
    expect(new Set(webhooks.map((w) => w.body.id)).size).toBe(3);
  });

  it("uses the API call's request id on its create event", async () => {
    const payment = await zuz.createPayment(100);
    const res = await zuz.authorize(payment.body.id, 'pm_approved');
    const [webhook] = await receiver.waitFor(1);
    expect(webhook.headers['x-zooz-request-id']).toBe(res.headers['x-zooz-request-id']);
  });

  it('retries a non-2xx answer until a 2xx, recording every attempt', async () => {
    receiver.script(500, 500, 200);
    const paymentId = await zuz.authorizedPayment(100);
    await sim.idle();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((w) => w.body.id)).size).toBe(1);
    expect(new Set(receiver.received.map((w) => w.headers.signature)).size).toBe(1);
    const attempts = sim.deliveries();
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 500, 'failed'],
      [2, 500, 'failed'],
      [3, 200, 'delivered'],
    ]);
    expect(attempts.every((a) => a.paymentId === paymentId && a.eventType === 'payment.authorization.create')).toBe(true);
  });

  it('retries after a connection error and after a timeout', async () => {
    receiver.script('reset', 'hang', 204);
    await zuz.authorizedPayment(100);
    await sim.idle();
    const attempts = sim.deliveries();
    expect(attempts).toHaveLength(3);
    expect(attempts[0].error).toEqual(expect.any(String));
    expect(attempts[1].error).toMatch(/timeout/);
    expect(attempts[2]).toMatchObject({ attempt: 3, statusCode: 204, outcome: 'delivered' });
  });

  it('gives up 24 h (scaled) after the first attempt', async () => {
    await sim.close();
    await receiver.close();
    await start({ timeScale: DAY_IN_170_MS });
    receiver.script(...Array.from({ length: 1000 }, () => 503));
    const started = Date.now();
    await zuz.authorizedPayment(100);
    await sim.idle();
    const attempts = sim.deliveries();
    expect(attempts.length).toBeGreaterThan(3);
    expect(attempts.every((a) => a.statusCode === 503)).toBe(true);
    const span = Date.parse(attempts[attempts.length - 1].at) - Date.parse(attempts[0].at);
    expect(span).toBeLessThanOrEqual(24 * 3600 * 1000 * DAY_IN_170_MS + 50);
    expect(Date.now() - started).toBeLessThan(2000);
    await sleep(50);
    expect(sim.deliveries()).toHaveLength(attempts.length);
  });

  it('sends nothing without a webhook URL, and starts once one is set', async () => {
    await sim.close();
    await receiver.close();
    await start({ webhookUrl: undefined });
    await zuz.authorizedPayment(100);
    await sim.idle();
    expect(sim.deliveries()).toEqual([]);
    sim.setWebhookUrl(receiver.url);
    await zuz.authorizedPayment(100);
    await receiver.waitFor(1);
    expect(receiver.received).toHaveLength(1);
  });
});

describe('faults, seen from the client', () => {
  beforeEach(() => start());

  it('latencyMs delays every answer', async () => {
    sim.setFaults({ latencyMs: 120 });
    const started = Date.now();
    const res = await zuz.createPayment(100);
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('failBeforeNext answers 503 without performing; the same key then performs', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    sim.setFaults({ failBeforeNext: 1 });
    const failed = await zuz.capture(paymentId, 60, 'cap-key');
    expect(failed.status).toBe(503);
    expect(zuzError.parse(failed.body).category).toEqual(expect.any(String));
    expect(failed.headers['x-zooz-request-id']).toEqual(expect.any(String));
    expect(sim.ledger.entries({ paymentId }).filter((e) => e.kind === 'capture')).toEqual([]);
    const retried = await zuz.capture(paymentId, 60, 'cap-key');
    expect(retried.status).toBe(201);
    expect(sim.ledger.entries({ paymentId }).filter((e) => e.kind === 'capture')).toHaveLength(1);
  });

  it('failAfterNext performs, answers 503, and the same key then returns what happened', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    sim.setFaults({ failAfterNext: 1 });
    const failed = await zuz.capture(paymentId, 60, 'cap-key');
    expect(failed.status).toBe(503);
    const [entry] = sim.ledger.entries({ paymentId }).filter((e) => e.kind === 'capture');
    expect(entry).toMatchObject({ amount: 60, status: 'Succeed' });
    const retried = await zuz.capture(paymentId, 60, 'cap-key');
    expect(retried.status).toBe(201);
    expect(retried.body.id).toBe(entry.operationId);
    expect(sim.ledger.entries({ paymentId }).filter((e) => e.kind === 'capture')).toHaveLength(1);
  });

  it('resetAfterNext performs, then drops the connection without an answer', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    sim.setFaults({ resetAfterNext: 1 });
    await expect(zuz.capture(paymentId, 60, 'cap-key')).rejects.toThrow();
    const entries = sim.ledger.entries({ paymentId }).filter((e) => e.kind === 'capture');
    expect(entries).toHaveLength(1);
    const read = zuzPayment.parse((await zuz.payment(paymentId, 'captures')).body);
    expect(read.related_resources?.captures?.[0].id).toBe(entries[0].operationId);
    const retried = await zuz.capture(paymentId, 60, 'cap-key');
    expect(retried.body.id).toBe(entries[0].operationId);
  });

  it('counts faults down, and scopes them to one payment when asked', async () => {
    const a = await zuz.authorizedPayment(100);
    const b = await zuz.authorizedPayment(100);
    sim.setFaults({ failBeforeNext: 2 }, a);
    expect((await zuz.payment(b)).status).toBe(200);
    expect((await zuz.payment(a)).status).toBe(503);
    expect((await zuz.capture(a, 60)).status).toBe(503);
    expect((await zuz.capture(a, 60)).status).toBe(201);
  });

  it('webhooks "drop": recorded as sent, never received; polling shows the result', async () => {
    sim.setFaults({ webhooks: 'drop' });
    const payment = await zuz.createPayment(100);
    await zuz.authorize(payment.body.id, 'pm_pending_approved');
    await sim.idle();
    expect(receiver.received).toEqual([]);
    expect(sim.deliveries().map((d) => [d.eventType, d.outcome])).toEqual([
      ['payment.authorization.create', 'dropped'],
      ['payment.authorization.update', 'dropped'],
    ]);
    expect((await zuz.payment(payment.body.id)).body.status).toBe('Authorized');
  });

  it('webhooks "none": nothing sent or recorded; polling shows the result', async () => {
    sim.setFaults({ webhooks: 'none' });
    const payment = await zuz.createPayment(100);
    await zuz.authorize(payment.body.id, 'pm_pending_declined');
    await sim.idle();
    expect(receiver.received).toEqual([]);
    expect(sim.deliveries()).toEqual([]);
    const read = zuzPayment.parse((await zuz.payment(payment.body.id, 'authorizations')).body);
    expect(read.related_resources?.authorizations?.[0].result.status).toBe('Failed');
  });

  it('webhooks "duplicate": every event arrives twice with the same id', async () => {
    sim.setFaults({ webhooks: 'duplicate' });
    await zuz.authorizedPayment(100);
    await sim.idle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0].rawBody).toBe(receiver.received[1].rawBody);
    expect(receiver.received[0].headers.signature).toBe(receiver.received[1].headers.signature);
  });

  it('webhooks "delay": the event arrives webhookDelayMs after the answer', async () => {
    sim.setFaults({ webhooks: 'delay', webhookDelayMs: 150 });
    await zuz.authorizedPayment(100);
    const answeredAt = Date.now();
    expect(receiver.received).toEqual([]);
    const [webhook] = await receiver.waitFor(1);
    expect(webhook.receivedAt - answeredAt).toBeGreaterThanOrEqual(130);
  });

  it('webhooks "reorder": a payment\'s events arrive newest first', async () => {
    sim.setFaults({ webhooks: 'reorder', webhookDelayMs: 30 });
    const payment = await zuz.createPayment(100);
    await zuz.authorize(payment.body.id, 'pm_pending_approved');
    await sim.idle();
    expect(eventTypes(receiver.received)).toEqual(['payment.authorization.update:Succeed', 'payment.authorization.create:Pending']);
  });

  it('webhooks "before-response": the event has been delivered when the API answers', async () => {
    sim.setFaults({ webhooks: 'before-response' });
    receiver.script({ status: 200, afterMs: 100 });
    const payment = await zuz.createPayment(100);
    const started = Date.now();
    const res = await zuz.authorize(payment.body.id, 'pm_approved');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].body.data.id).toBe(res.body.id);
    expect(sim.deliveries()).toMatchObject([{ statusCode: 200, outcome: 'delivered' }]);
  });

  it("a payment's webhook fault leaves other payments alone", async () => {
    const quiet = (await zuz.createPayment(100)).body.id;
    sim.setFaults({ webhooks: 'none' }, quiet);
    await zuz.authorize(quiet, 'pm_approved');
    const loud = await zuz.authorizedPayment(100);
    await sim.idle();
    expect(receiver.received.map((w) => w.body.payment_id)).toEqual([loud]);
  });
});

describe('admin routes', () => {
  beforeEach(() => start());
  const admin = () => ({ 'app-id': APP_ID, 'private-key': PRIVATE_KEY });

  it('sets faults over HTTP, globally or for one payment', async () => {
    const paymentId = await zuz.authorizedPayment(100);
    const set = await httpRequest(`${sim.url}/_admin/faults`, {
      method: 'POST',
      headers: admin(),
      body: { paymentId, faults: { failBeforeNext: 1 } },
    });
    expect(set.status).toBe(200);
    expect((await zuz.capture(paymentId, 60)).status).toBe(503);
    expect((await zuz.capture(paymentId, 60)).status).toBe(201);

    await httpRequest(`${sim.url}/_admin/faults`, { method: 'POST', headers: admin(), body: { faults: { failBeforeNext: 1 } } });
    expect((await zuz.createPayment(100)).status).toBe(503);
  });

  it('rejects a bad faults body (400) and missing credentials (401)', async () => {
    const bad = await httpRequest(`${sim.url}/_admin/faults`, {
      method: 'POST',
      headers: admin(),
      body: { faults: { webhooks: 'sometimes' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.category).toBe('api_request_error');
    const typo = await httpRequest(`${sim.url}/_admin/faults`, { method: 'POST', headers: admin(), body: { faults: { failNext: 1 } } });
    expect(typo.status).toBe(400);
    const anonymous = await httpRequest(`${sim.url}/_admin/ledger`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.category).toBe('api_authentication_error');
  });

  it('returns the ledger, filtered by payment_id or reconciliation_id', async () => {
    const a = await zuz.authorizedPayment(100);
    const b = await zuz.authorizedPayment(100);
    const capture = await zuz.capture(b, 60, undefined, 'rec-b');
    const all = await httpRequest(`${sim.url}/_admin/ledger`, { headers: admin() });
    expect(all.body).toHaveLength(3);
    const forA = await httpRequest(`${sim.url}/_admin/ledger?payment_id=${a}`, { headers: admin() });
    expect(forA.body).toEqual([
      expect.objectContaining({ paymentId: a, kind: 'authorization', amount: 100, currency: 'EUR', status: 'Succeed' }),
    ]);
    const byRec = await httpRequest(`${sim.url}/_admin/ledger?reconciliation_id=rec-b`, { headers: admin() });
    expect(byRec.body).toEqual([
      {
        paymentId: b,
        reconciliationId: 'rec-b',
        kind: 'capture',
        operationId: capture.body.id,
        amount: 60,
        currency: 'EUR',
        status: 'Succeed',
        at: capture.body.created,
      },
    ]);
  });
});

describe('lifecycle and configuration', () => {
  it('close() cancels pending resolutions and deliveries', async () => {
    await start({ timeScale: 1 }); // a real 5 s pending resolution
    const payment = await zuz.createPayment(100);
    await zuz.authorize(payment.body.id, 'pm_pending_approved');
    await receiver.waitFor(1);
    const started = Date.now();
    await sim.close();
    await sim.idle();
    expect(Date.now() - started).toBeLessThan(500);
    expect(sim.ledger.entries()[0].status).toBe('Pending');
  });

  it('reads the standalone configuration from the environment', () => {
    expect(zuzOptionsFromEnv({})).toEqual({
      ok: true,
      value: {
        port: 4100,
        host: '127.0.0.1',
        appId: 'pos-dev-app',
        privateKey: 'dev-zuz-private-key',
        environment: 'test',
        webhookUrl: 'http://127.0.0.1:3000/webhooks/zuz',
        timeScale: 1,
      },
    });
    expect(zuzOptionsFromEnv({ SIM_TIME_SCALE: '0.001', ZUZ_ENV: 'live' })).toMatchObject({
      ok: true,
      value: { timeScale: 0.001, environment: 'live' },
    });
    for (const bad of [
      { SIM_TIME_SCALE: '0' },
      { SIM_TIME_SCALE: 'fast' },
      { ZUZ_ENV: 'prod' },
      { ZUZ_SIM_PORT: '-1' },
      { ZUZ_WEBHOOK_URL: 'not a url' },
    ]) {
      const result = zuzOptionsFromEnv(bad);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(Object.keys(bad)[0]);
    }
  });

  it('answers in the configured environment only', async () => {
    await start({ environment: 'live' });
    expect((await zuz.createPayment(100)).status).toBe(401);
    expect((await zuz.post('/payments', { amount: 100, currency: 'EUR' }, { 'x-payments-os-env': 'live' })).status).toBe(201);
  });
});

/**
 * Issue 38, finding 5: Zuz does not sign its free text (`result.description`,
 * `provider_data.description`), so a copy of a genuine signed event can carry any text under the
 * genuine signature; and an absent field signs as `""` does. What a merchant is shown of Zuz's
 * answer comes from signed fields only (the text is kept apart as `providerMessage`, shown to no
 * merchant), and an empty signed field reads as an absent one.
 *
 * First on the webhook's verdict, with events the Zuz simulator signs as Zuz does; then on the
 * real stack, where a relay between the simulator and the API rewrites the text of every genuine
 * event and delivers that copy first: the decline the till reads and the refund's failure the back
 * office reads carry none of it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { TransactionView } from '../src/transaction/model';
import type { RefundView } from '../src/refund/model';
import { verifyZuzWebhook, type ZuzWebhookVerdict } from '../src/zuz';
import { toOperationResult } from '../src/zuz/results';
import { signWebhook } from '../src/zuz/signature';
import type { ZuzTransaction, ZuzWebhookEvent } from '../src/zuz/wire';
import { buildEvent } from '../sandbox/simulators/zuz/webhooks/event';
import { resultParts } from '../sandbox/simulators/zuz/outcomes';
import type { LocalStack } from '../sandbox/local-stack';
import { callApi, startTestStack } from './helpers/stack';

const PRIVATE_KEY = 'test-zuz-private-key';
const OPTIONS = { privateKey: PRIVATE_KEY, maxAgeMs: 60_000 };
/** What an attacker would like a till to show. */
const PLANTED = 'Card blocked: call +44 20 7946 0000 and give the card number';
const DECLINED = 'Zuz declined the authorization: the payment method was declined (payment_method_declined, response code 102)';

/** A decline as the Zuz simulator reports it: its own transaction object, event and signature. */
function genuineDecline(): { transaction: ZuzTransaction; eventType: string; body: ZuzWebhookEvent; signature: string } {
  const transaction: ZuzTransaction = {
    id: `auth_${randomUUID()}`,
    created: new Date().toISOString(),
    amount: 1250,
    currency: 'EUR',
    reconciliation_id: 'default/tx-unsigned',
    ...resultParts('Failed', `ref_${randomUUID()}`, true),
  };
  const config = { appId: 'app', privateKey: PRIVATE_KEY, environment: 'test' as const, accountId: 'acc', timeScale: 1 };
  const event = buildEvent(config, 'pay_1', 'authorization', 'update', transaction);
  return { transaction, eventType: event.eventType, body: event.body, signature: event.headers.signature };
}

function verify(eventType: string, body: unknown, signature: string): ZuzWebhookVerdict {
  return verifyZuzWebhook({ eventTypeHeader: eventType, signatureHeader: signature, rawBody: Buffer.from(JSON.stringify(body)) }, OPTIONS);
}

function eventOf(verdict: ZuzWebhookVerdict) {
  if (!verdict.ok) throw new Error(`refused: ${verdict.reason}`);
  return verdict;
}

describe("the webhook's verdict", () => {
  test('a copy of a genuine decline with other text passes the signature, and reads as the genuine one but for providerMessage', () => {
    const { transaction, eventType, body, signature } = genuineDecline();
    const altered = structuredClone(body);
    altered.data.result.description = PLANTED;
    altered.data.provider_data!.description = PLANTED;

    const genuine = eventOf(verify(eventType, body, signature));
    const copy = eventOf(verify(eventType, altered, signature)); // the text is not signed: the copy is believed
    expect(genuine.event.description).toBe(DECLINED);
    expect(copy.event.description).toBe(DECLINED);
    expect(JSON.stringify({ ...copy.event, providerMessage: undefined })).not.toContain('+44');
    // The text is kept apart, marked as the provider's unsigned words, and is all that differs.
    expect(genuine.event.providerMessage).toBe('DECLINED');
    expect(copy.event.providerMessage).toBe(PLANTED);
    expect({ ...copy, event: { ...copy.event, providerMessage: 'x' } }).toEqual({
      ...genuine,
      event: { ...genuine.event, providerMessage: 'x' },
    });
    // The same answer read from Zuz's API (or a poll) says the same words, whichever told the flow first.
    expect(toOperationResult('authorization', transaction).description).toBe(DECLINED);
  });

  test.each([
    ['result.category', (d: ZuzTransaction) => (d.result.category = '')],
    ['result.sub_category', (d: ZuzTransaction) => (d.result.sub_category = '')],
    ['provider_data.response_code', (d: ZuzTransaction) => (d.provider_data!.response_code = '')],
    ['reconciliation_id', (d: ZuzTransaction) => (d.reconciliation_id = '')],
  ])('%s empty signs as absent (the contract), and reads as absent too', (_field, empty) => {
    const eventType = 'payment.capture.update';
    const absent: ZuzWebhookEvent = {
      id: `evt_${randomUUID()}`,
      created: new Date().toISOString(),
      account_id: 'acc',
      app_id: 'app',
      payment_id: 'pay_1',
      data: {
        id: 'cap_1',
        created: new Date().toISOString(),
        amount: 15,
        currency: 'EUR',
        result: { status: 'Failed' },
        provider_data: { provider_name: 'ZuzMock' },
      },
    };
    const withEmpty = structuredClone(absent);
    empty(withEmpty.data);
    const signature = signWebhook({ eventType, body: absent }, PRIVATE_KEY);
    expect(signWebhook({ eventType, body: withEmpty }, PRIVATE_KEY)).toBe(signature);
    const a = eventOf(verify(eventType, absent, signature));
    const b = eventOf(verify(eventType, withEmpty, signature));
    expect(b).toEqual(a);
    expect(Object.keys(b.event).sort()).toEqual(Object.keys(a.event).sort());
    expect('transactionId' in b).toBe('transactionId' in a);
    expect(b.event.description).toBe('Zuz declined the capture');
  });
});

describe('on the real stack, with every genuine event delivered first as a copy with other text', () => {
  let stack: LocalStack;
  let relay: Server;
  const relayed: Array<{ eventType: string; copy: string; genuine: string }> = [];

  beforeAll(async () => {
    // Long webhook waits: the flow learns each answer from the (altered) webhook, never a poll.
    stack = await startTestStack('unsigned-text', {
      flowOptions: { webhookGracePeriod: '2 minutes', pollInitialInterval: '200 milliseconds', pollMaxInterval: '1 second' },
    });
    const target = `${stack.apiUrl}/webhooks/zuz`;
    relay = createServer((req, res) => {
      void (async () => {
        const raw = await bodyOf(req);
        const headers = Object.fromEntries(
          ['content-type', 'event-type', 'signature', 'x-payments-os-env', 'x-zooz-request-id']
            .filter((name) => typeof req.headers[name] === 'string')
            .map((name) => [name, req.headers[name] as string]),
        );
        const body = JSON.parse(raw) as ZuzWebhookEvent;
        body.data.result.description = PLANTED;
        if (body.data.provider_data) body.data.provider_data.description = PLANTED;
        const copy = await fetch(target, { method: 'POST', headers, body: JSON.stringify(body) });
        const genuine = await fetch(target, { method: 'POST', headers, body: raw });
        relayed.push({ eventType: headers['event-type'], copy: await copy.text(), genuine: await genuine.text() });
        res.writeHead(genuine.status, { 'content-type': 'application/json' }).end(JSON.stringify({ relayed: true }));
      })().catch(() => res.writeHead(502).end());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    stack.zuz.setWebhookUrl(`http://127.0.0.1:${(relay.address() as AddressInfo).port}/`);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
  });

  type Body = TransactionView & { refunds?: RefundView[] };
  const api = (method: 'GET' | 'POST', route: string, body?: unknown) => callApi<Body>(stack, method, route, body);

  async function until(route: string, done: (body: Body) => boolean): Promise<Body> {
    for (;;) {
      const { status, body } = await api('GET', route);
      expect(status).toBe(200);
      if (done(body)) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test("a decline by webhook: the till reads Zuz's signed answer, not the copy's text", async () => {
    const id = `unsigned-${randomUUID()}`;
    const created = await api('POST', '/v1/transactions', {
      transactionId: id,
      customerId: 'cus_demo',
      paymentMethodId: 'pm_pending_declined',
      amount: 1250,
      currency: 'EUR',
    });
    expect(created.status).toBe(202);
    const view = await until(`/v1/transactions/${id}`, (v) => v.status === 'declined');
    expect(view.failure).toEqual({ code: 'authorization_declined', message: DECLINED });
    // The copy came first and was delivered; the genuine event after it was a duplicate.
    const decline = relayed.filter((r) => r.eventType === 'payment.authorization.update' && r.copy.includes('delivered'));
    expect(decline.length).toBeGreaterThan(0);
    expect(decline.every((r) => r.genuine.includes('duplicate'))).toBe(true);
  }, 120_000);

  test("a refund declined by webhook: the back office reads Zuz's signed answer, not the copy's text", async () => {
    const id = `unsigned-${randomUUID()}`;
    expect(
      (
        await api('POST', '/v1/transactions', {
          transactionId: id,
          customerId: 'cus_demo',
          paymentMethodId: 'pm_approved',
          amount: 1250,
          currency: 'EUR',
        })
      ).status,
    ).toBe(202);
    await until(`/v1/transactions/${id}`, (v) => v.status === 'succeeded');
    // 35: Zuz answers Pending, then Failed by webhook.
    expect((await api('POST', `/v1/transactions/${id}/refunds`, { refundId: 'r1', amount: 35, reason: 'returned' })).status).toBe(202);
    const view = await until(`/v1/transactions/${id}`, (v) => v.refunds?.[0]?.status === 'failed');
    expect(view.refunds?.[0].failureMessage).toBe(
      'Zuz declined the refund: the payment method was declined (payment_method_declined, response code 102)',
    );
    expect(
      relayed.some((r) => r.eventType === 'payment.refund.update' && r.copy.includes('delivered') && r.genuine.includes('duplicate')),
    ).toBe(true);
  }, 120_000);

  test("a decline in Zuz's own answer (no webhook) reads the same words", async () => {
    const id = `unsigned-${randomUUID()}`;
    await api('POST', '/v1/transactions', {
      transactionId: id,
      customerId: 'cus_demo',
      paymentMethodId: 'pm_declined',
      amount: 1250,
      currency: 'EUR',
    });
    const view = await until(`/v1/transactions/${id}`, (v) => v.status === 'declined');
    expect(view.failure).toEqual({ code: 'authorization_declined', message: DECLINED });
  }, 120_000);
});

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

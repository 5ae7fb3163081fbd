/** The payment-methods service simulator over real HTTP. */
import { MOCK_CARDS, cardNumberForToken, findMockCard } from '../../sandbox/simulators/cards';
import { startPmsSimulator, type PmsSimulator } from '../../sandbox/simulators/pms';
import { pmsConfigFromEnv } from '../../sandbox/simulators/pms/envConfig';
import { PaymentMethodStore } from '../../sandbox/simulators/pms/paymentMethods';
import { httpRequest } from './support/http';

const API_KEY = 'test-pms-key';
let pms: PmsSimulator;

beforeEach(async () => {
  pms = await startPmsSimulator({ apiKey: API_KEY });
});
afterEach(() => pms.close());

const auth = (key = API_KEY) => ({ authorization: `Bearer ${key}` });
const lookup = (customerId: string, paymentMethodId: string, headers: Record<string, string> = auth(), merchantId = 'default', on = pms) =>
  httpRequest(`${on.url}/v1/merchants/${merchantId}/customers/${customerId}/payment-methods/${paymentMethodId}`, { headers });

describe('GET /v1/merchants/:merchantId/customers/:customerId/payment-methods/:paymentMethodId', () => {
  it('returns the method in the agreed shape', async () => {
    const res = await lookup('cus_demo', 'pm_approved');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: 'pm_approved',
      customer_id: 'cus_demo',
      type: 'card',
      brand: 'visa',
      last4: '1111',
      expiry_month: 12,
      expiry_year: 2030,
      status: 'active',
      provider_token: 'tok_89eb9c76468308353a819030',
    });
  });

  it('returns expired and blocked methods as data (200), for the caller to refuse', async () => {
    expect((await lookup('cus_demo', 'pm_expired')).body).toMatchObject({ status: 'expired', expiry_year: 2021 });
    expect((await lookup('cus_demo', 'pm_blocked')).body).toMatchObject({ status: 'blocked' });
  });

  it('answers 401 for a missing or wrong API key', async () => {
    for (const headers of [{}, auth('wrong'), { authorization: API_KEY }]) {
      const res = await lookup('cus_demo', 'pm_approved', headers);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
  });

  it("answers 404 for an unknown method, and identically for another customer's method", async () => {
    const unknown = await lookup('cus_demo', 'pm_nope');
    const foreign = await lookup('cus_demo', 'pm_other_customer');
    expect(unknown.status).toBe(404);
    expect(foreign.status).toBe(404);
    expect(unknown.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect(foreign.body).toEqual(unknown.body);
    expect((await lookup('cus_other', 'pm_other_customer')).status).toBe(200);
  });

  it('keeps customers per merchant: the cards are seeded for each configured merchant, and nobody else finds them', async () => {
    const merchants = await startPmsSimulator({ apiKey: API_KEY, merchants: ['default', 'acme'] });
    try {
      const acme = await lookup('cus_demo', 'pm_approved', auth(), 'acme', merchants);
      expect(acme.status).toBe(200);
      expect(acme.body).toEqual((await lookup('cus_demo', 'pm_approved', auth(), 'default', merchants)).body);
      // A merchant without keys has no customers: its lookup of a seeded card is an unknown id's 404.
      const foreign = await lookup('cus_demo', 'pm_approved', auth(), 'globex', merchants);
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual((await lookup('cus_demo', 'pm_nope', auth(), 'acme', merchants)).body);
    } finally {
      await merchants.close();
    }
    // Without a list, only `default` is seeded.
    expect((await lookup('cus_demo', 'pm_approved', auth(), 'acme')).status).toBe(404);
  });

  it('has no lookup without a merchant: the unscoped path is an unknown route', async () => {
    const res = await httpRequest(`${pms.url}/v1/customers/cus_demo/payment-methods/pm_approved`, { headers: auth() });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'No such route' } });
  });
});

describe('faults', () => {
  it('failNext answers 503 for the next N lookups, then recovers', async () => {
    pms.setFaults({ failNext: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push(await lookup('cus_demo', 'pm_approved'));
    expect(statuses.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(statuses[0].body).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
  });

  it('latencyMs delays lookups', async () => {
    pms.setFaults({ latencyMs: 100 });
    const started = Date.now();
    expect((await lookup('cus_demo', 'pm_approved')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('can be set over HTTP, with the API key', async () => {
    const set = await httpRequest(`${pms.url}/_admin/faults`, { method: 'POST', headers: auth(), body: { failNext: 1 } });
    expect(set.status).toBe(200);
    expect((await lookup('cus_demo', 'pm_approved')).status).toBe(503);
    expect((await lookup('cus_demo', 'pm_approved')).status).toBe(200);
    const bad = await httpRequest(`${pms.url}/_admin/faults`, { method: 'POST', headers: auth(), body: { failNext: -1 } });
    expect(bad.status).toBe(400);
    const anonymous = await httpRequest(`${pms.url}/_admin/faults`, { method: 'POST', body: { failNext: 1 } });
    expect(anonymous.status).toBe(401);
    expect((await lookup('cus_demo', 'pm_approved')).status).toBe(200);
  });
});

describe('adding payment methods', () => {
  const added = {
    id: 'pm_added',
    customer_id: 'cus_new',
    brand: 'mastercard',
    last4: '4444',
    expiry_month: 3,
    expiry_year: 2031,
    status: 'active',
    provider_token: 'tok_0123456789abcdef01234567',
  };

  it('POST /_admin/payment-methods adds a method (for the merchant `default` when none is named) that the lookup then returns', async () => {
    const res = await httpRequest(`${pms.url}/_admin/payment-methods`, { method: 'POST', headers: auth(), body: added });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ...added, type: 'card', merchant_id: 'default' });
    const read = await lookup('cus_new', 'pm_added');
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ ...added, type: 'card' });
  });

  it('POST /_admin/payment-methods with merchant_id adds the method for that merchant only', async () => {
    const res = await httpRequest(`${pms.url}/_admin/payment-methods`, {
      method: 'POST',
      headers: auth(),
      body: { ...added, merchant_id: 'acme' },
    });
    expect(res.status).toBe(201);
    expect(res.body.merchant_id).toBe('acme');
    expect((await lookup('cus_new', 'pm_added', auth(), 'acme')).body).toEqual({ ...added, type: 'card' });
    expect((await lookup('cus_new', 'pm_added', auth(), 'default')).status).toBe(404);
    expect((await lookup('cus_new', 'pm_added', auth(), 'globex')).status).toBe(404);
    const bad = await httpRequest(`${pms.url}/_admin/payment-methods`, {
      method: 'POST',
      headers: auth(),
      body: { ...added, merchant_id: 'Not/A-Merchant' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/merchant_id/);
  });

  it('rejects a bad body with 400 and a missing key with 401', async () => {
    const bad = await httpRequest(`${pms.url}/_admin/payment-methods`, {
      method: 'POST',
      headers: auth(),
      body: { ...added, last4: '44' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
    expect(bad.body.error.message).toMatch(/last4/);
    const malformed = await httpRequest(`${pms.url}/_admin/payment-methods`, { method: 'POST', headers: auth(), body: '{"id":' });
    expect(malformed.status).toBe(400);
    const anonymous = await httpRequest(`${pms.url}/_admin/payment-methods`, { method: 'POST', body: added });
    expect(anonymous.status).toBe(401);
    expect((await lookup('cus_new', 'pm_added')).status).toBe(404);
  });

  it('addPaymentMethod() adds (or replaces) a method in-process, for `default` or the merchant named', async () => {
    pms.addPaymentMethod({ ...findMockCard('pm_approved')!, paymentMethodId: 'pm_in_process', status: 'blocked' });
    expect((await lookup('cus_demo', 'pm_in_process')).body).toMatchObject({ id: 'pm_in_process', status: 'blocked', last4: '1111' });
    pms.addPaymentMethod({ ...findMockCard('pm_approved')!, paymentMethodId: 'pm_acme_only' }, 'acme');
    expect((await lookup('cus_demo', 'pm_acme_only', auth(), 'acme')).status).toBe(200);
    expect((await lookup('cus_demo', 'pm_acme_only')).status).toBe(404);
  });
});

describe('seeded cards and configuration', () => {
  it('seeds one distinct, well-formed token per card, and maps tokens back to card numbers', () => {
    const tokens = MOCK_CARDS.map((card) => card.providerToken);
    expect(new Set(tokens).size).toBe(MOCK_CARDS.length);
    for (const card of MOCK_CARDS) {
      expect(card.providerToken).toMatch(/^tok_[0-9a-f]{24}$/);
      expect(card.cardNumber.endsWith(card.last4)).toBe(true);
      expect(cardNumberForToken(card.providerToken)).toBe(card.cardNumber);
    }
    expect(cardNumberForToken('tok_unknown')).toBeUndefined();
  });

  it('reads the standalone configuration from the environment', () => {
    expect(pmsConfigFromEnv({})).toEqual({
      ok: true,
      value: { port: 4200, host: '127.0.0.1', apiKey: 'dev-pms-key', merchants: ['default'] },
    });
    expect(pmsConfigFromEnv({ PMS_SIM_PORT: '0', PMS_API_KEY: 'k' })).toEqual({
      ok: true,
      value: { port: 0, host: '127.0.0.1', apiKey: 'k', merchants: ['default'] },
    });
    const bad = pmsConfigFromEnv({ PMS_SIM_PORT: 'http' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain('PMS_SIM_PORT');
  });

  it("seeds the merchants of the service's API_KEYS (a bare key is `default`), read with the service's parser", () => {
    const keys = `acme:${'a'.repeat(20)}, ${'d'.repeat(20)},globex:${'g'.repeat(20)},acme:${'b'.repeat(20)}`;
    const read = pmsConfigFromEnv({ API_KEYS: keys });
    expect(read.ok && read.value.merchants).toEqual(['acme', 'default', 'globex']);
    expect(pmsConfigFromEnv({ API_KEYS: ' ' })).toMatchObject({ ok: true, value: { merchants: ['default'] } });
    // The service's rules, and its discretion: the message names the entry, never the key.
    const bad = pmsConfigFromEnv({ API_KEYS: 'acme:short-secret' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.message).toContain('API_KEYS');
      expect(bad.message).toContain('entry 1');
      expect(bad.message).not.toContain('short-secret');
    }
  });
});

describe('merchants created at run time (npm start seeds on first lookup)', () => {
  const [card] = MOCK_CARDS;
  const store = (seedOnFirstLookup: boolean) => new PaymentMethodStore(['default'], seedOnFirstLookup);

  it('a merchant never configured finds the mock cards on its first lookup when asked to', () => {
    expect(store(true).findForCustomer('shop-new', card.customerId, card.paymentMethodId)?.providerToken).toBe(card.providerToken);
  });

  it("without it, an unknown merchant's lookup finds nothing (control: the standalone simulator and tests)", () => {
    expect(store(false).findForCustomer('shop-new', card.customerId, card.paymentMethodId)).toBeUndefined();
  });

  it("seeding one merchant on its lookup never shows it another merchant's own methods", () => {
    const methods = store(true);
    methods.add('shop-a', { ...card, paymentMethodId: 'pm_only_a' });
    expect(methods.findForCustomer('shop-b', card.customerId, 'pm_only_a')).toBeUndefined();
  });
});

/**
 * The verification merchants are shown (docs/merchant-events.md; the very function exported here):
 * it accepts what the service signs, during a rotation under either secret, and refuses a forged
 * body, another secret, a stripped or malformed header, and a replay whose time is too old.
 */
import { signMerchantEvent, verifyMerchantEventSignature } from '../src/merchant-events/signature';

const body = JSON.stringify({ id: 'evt_1', type: 'transaction.succeeded', created: '2026-01-01T00:00:00.000Z', data: { amount: 1250 } });
const secret = 'whsec_current';
const now = 1_780_000_000;

test('what the service signs is accepted', () => {
  expect(verifyMerchantEventSignature(body, signMerchantEvent(body, [secret], now), secret, { nowSeconds: now })).toBe(true);
});

test('a forged body, another secret or a forged signature is refused', () => {
  const header = signMerchantEvent(body, [secret], now);
  expect(verifyMerchantEventSignature(body.replace('1250', '9999'), header, secret, { nowSeconds: now })).toBe(false);
  expect(verifyMerchantEventSignature(body, signMerchantEvent(body, ['whsec_attacker'], now), secret, { nowSeconds: now })).toBe(false);
  expect(verifyMerchantEventSignature(body, `t=${now},v1=${'0'.repeat(64)}`, secret, { nowSeconds: now })).toBe(false);
  expect(verifyMerchantEventSignature(body, `t=${now}`, secret, { nowSeconds: now })).toBe(false);
  expect(verifyMerchantEventSignature(body, 'garbage', secret, { nowSeconds: now })).toBe(false);
});

test('a replay (the same signed body later than the tolerance) is refused; the time itself is signed', () => {
  const header = signMerchantEvent(body, [secret], now - 301);
  expect(verifyMerchantEventSignature(body, header, secret, { nowSeconds: now })).toBe(false);
  expect(verifyMerchantEventSignature(body, header, secret, { nowSeconds: now - 200 })).toBe(true);
  // Moving the time forward without the secret breaks the signature.
  expect(verifyMerchantEventSignature(body, header.replace(`t=${now - 301}`, `t=${now}`), secret, { nowSeconds: now })).toBe(false);
});

test('during a rotation both secrets sign: a receiver with either accepts', () => {
  const header = signMerchantEvent(body, ['whsec_new', secret], now);
  expect(header.match(/v1=/g)).toHaveLength(2);
  expect(verifyMerchantEventSignature(body, header, secret, { nowSeconds: now })).toBe(true);
  expect(verifyMerchantEventSignature(body, header, 'whsec_new', { nowSeconds: now })).toBe(true);
  expect(verifyMerchantEventSignature(body, header, 'whsec_other', { nowSeconds: now })).toBe(false);
});

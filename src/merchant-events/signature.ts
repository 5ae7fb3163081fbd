/**
 * The signature on every event sent to a merchant's endpoint, in the convention merchants'
 * libraries already verify: `Pos-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
 * one `v1=` per secret that signs (two during a rotation). `verifyMerchantEventSignature` is the
 * receiver's side, exactly as docs/merchant-events.md shows it (the tests run this very function).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'pos-signature';

/** How old a signature's time may be (either way) before a receiver refuses it as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The header's value: the time, then one `v1=` per secret (the current one first). */
export function signMerchantEvent(rawBody: string, secrets: readonly string[], timestamp: number): string {
  const t = Math.floor(timestamp);
  return [`t=${t}`, ...secrets.map((secret) => `v1=${hmacHex(secret, `${t}.${rawBody}`)}`)].join(',');
}

/**
 * Whether `header` (the `Pos-Signature` value) signs `rawBody` (the bytes received, before any
 * JSON parsing) under `secret`, at a time within `toleranceSeconds` of now. A forged body, another
 * secret, or an old time (a replay) answers false.
 */
export function verifyMerchantEventSignature(
  rawBody: string,
  header: string,
  secret: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const parts = header.split(',').map((part) => part.trim());
  const t = parts.find((part) => part.startsWith('t='))?.slice(2);
  if (!t || !/^\d{1,12}$/.test(t) || Math.abs(now - Number(t)) > tolerance) return false;
  const expected = Buffer.from(hmacHex(secret, `${t}.${rawBody}`), 'hex');
  return parts
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3))
    .some((given) => /^[0-9a-f]{64}$/.test(given) && timingSafeEqual(Buffer.from(given, 'hex'), expected));
}

function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

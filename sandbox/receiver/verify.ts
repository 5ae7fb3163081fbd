/**
 * The receiver's check of `Pos-Signature`: the snippet docs/merchant-events.md shows merchants,
 * copied here character for character (test/chaos.test.ts fails if the two drift apart), so the
 * receiver of `npm run receiver` and of the chaos run verify every event exactly as the docs say a
 * merchant should. Not the service's own code (src/merchant-events/signature.ts): the docs' snippet
 * is what is under test.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyMerchantEventSignature(rawBody: string, header: string, secret: string, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((part) => part.trim());
  const t = parts.find((part) => part.startsWith('t='))?.slice(2);
  if (!t || !/^\d{1,12}$/.test(t) || Math.abs(Date.now() / 1000 - Number(t)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return parts
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3))
    .some((given) => /^[0-9a-f]{64}$/.test(given) && timingSafeEqual(Buffer.from(given, 'hex'), expected));
}

/**
 * Zuz webhook signatures: `signature: sig1=<hex HMAC-SHA256>` keyed with the app's private key,
 * over these values joined by commas (a missing value is an empty string). A value containing a
 * comma would make the joined text ambiguous (bytes could move between fields under the same
 * signature), so such a webhook is refused, never verified.
 *
 * What the signature does not cover, anyone holding a genuine event can change under it: Zuz's free
 * text (`result.description`, `provider_data.description`) and every field not listed below. And a
 * missing value signs as the empty string (paymentsos.md), so `""` and an absent field are the same
 * event to the signature. src/zuz/results.ts reads both accordingly: merchants are shown words
 * made from signed fields only, and an empty signed field reads as absent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedWebhook {
  eventType: string;
  body: {
    id?: string;
    account_id?: string;
    payment_id?: string;
    created?: string;
    app_id?: string;
    data?: {
      id?: string;
      result?: { status?: string; category?: string; sub_category?: string };
      provider_data?: { response_code?: string };
      reconciliation_id?: string;
      amount?: number;
      currency?: string;
    };
  };
}

/** The signature's separator. */
const SEPARATOR = ',';

/**
 * An object or array where Zuz signs a string or a number has no text both sides agree on (and
 * turning some into text throws: `{"toString":0}`), so it can only be refused, never verified.
 */
const UNVERIFIABLE = Symbol('unverifiable');

function signedFields({ eventType, body }: SignedWebhook): Array<string | typeof UNVERIFIABLE> {
  const d = body.data ?? {};
  return [
    eventType,
    body.id,
    body.account_id,
    body.payment_id,
    body.created,
    body.app_id,
    d.id,
    d.result?.status,
    d.result?.category,
    d.result?.sub_category,
    d.provider_data?.response_code,
    d.reconciliation_id,
    d.amount,
    d.currency,
  ].map((value: unknown) => (value === undefined || value === null ? '' : isPlain(value) ? String(value) : UNVERIFIABLE));
}

function isPlain(value: unknown): value is string | number | boolean | bigint {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint';
}

function signedValues(webhook: SignedWebhook): string {
  return signedFields(webhook)
    .map((value) => (value === UNVERIFIABLE ? '' : value))
    .join(SEPARATOR);
}

/**
 * Whether a signed value cannot be verified unambiguously: it contains the separator, or it is an
 * object or array where a string or number is signed. Such a webhook is refused, never verified.
 */
export function hasAmbiguousSignedField(webhook: SignedWebhook): boolean {
  return signedFields(webhook).some((value) => value === UNVERIFIABLE || value.includes(SEPARATOR));
}

export function signWebhook(webhook: SignedWebhook, privateKey: string): string {
  return 'sig1=' + createHmac('sha256', privateKey).update(signedValues(webhook)).digest('hex');
}

/** Constant-time comparison, so a caller cannot learn the signature byte by byte. */
export function isValidWebhookSignature(webhook: SignedWebhook, header: string | undefined, privateKey: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhook(webhook, privateKey));
  const given = Buffer.from(header.trim());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

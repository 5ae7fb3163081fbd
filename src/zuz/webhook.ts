/**
 * Zuz's webhooks, read off the wire: the signature first, over the fields as received, then the
 * `event-type` header and the JSON body against Zuz's format, then the age; the operation
 * reported comes out as the domain's ZuzEvent. Nothing is said about a field's shape to a caller
 * that has not proved it is Zuz. The verdict says what is wrong in Zuz-neutral terms, so each
 * receiver decides its own answer (the API, an HTTP status).
 */
import type { ZodError } from 'zod';
import type { ZuzEvent, ZuzOperationKind } from '../transaction/model';
import { present, toOperationResult } from './results';
import { hasAmbiguousSignedField, isValidWebhookSignature, type SignedWebhook } from './signature';
import { zuzEventType, zuzWebhookEvent } from './wire';

export interface ZuzWebhookRequest {
  /** The `event-type` header as received (absent, or repeated, counts as malformed). */
  eventTypeHeader: unknown;
  signatureHeader: string | undefined;
  /** The body's bytes exactly as received: the event is read from these. */
  rawBody: Buffer | undefined;
}

export interface ZuzWebhookOptions {
  /** The app's private key: Zuz signs every webhook with it. */
  privateKey: string;
  /** Events created longer ago than this are stale (replay protection, with dedup on the event id). */
  maxAgeMs: number;
}

export type ZuzWebhookVerdict =
  /**
   * `transactionId`: the reconciliation id Zuz echoes — the transaction's key for its own
   * operations, the refund's key for a refund (src/refund/model.ts).
   */
  | { ok: true; event: ZuzEvent; transactionId?: string }
  /** `ambiguous`: a signed field contains the signature's separator, so the signature proves nothing. */
  | { ok: false; reason: 'no_body' | 'not_json' | 'invalid_signature' | 'ambiguous' | 'stale' }
  /** A signed event that does not fit Zuz's format: `part` names what, `error` lists each wrong field. */
  | { ok: false; reason: 'malformed'; part: 'event-type header' | 'body'; error: ZodError }
  /** A genuine event about something the service does not track (a refund, the payment itself). */
  | { ok: false; reason: 'not_an_operation' };

/** The resource names of event types (`payment.<resource>.<action>`) that are operations of the service. */
const KINDS: Record<string, ZuzOperationKind | undefined> = {
  authorization: 'authorization',
  capture: 'capture',
  void: 'void',
  refund: 'refund',
};

export function verifyZuzWebhook(request: ZuzWebhookRequest, { privateKey, maxAgeMs }: ZuzWebhookOptions): ZuzWebhookVerdict {
  if (!request.rawBody || request.rawBody.length === 0) return { ok: false, reason: 'no_body' };
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  // The signature is checked over the fields as received, whatever their shape: an unsigned
  // caller learns only that it is not believed, never which field would have been wrong.
  const asReceived = { eventType: typeof request.eventTypeHeader === 'string' ? request.eventTypeHeader : '', body: signedPart(json) };
  if (hasAmbiguousSignedField(asReceived)) return { ok: false, reason: 'ambiguous' };
  if (!isValidWebhookSignature(asReceived, request.signatureHeader, privateKey)) return { ok: false, reason: 'invalid_signature' };

  const eventType = zuzEventType.safeParse(request.eventTypeHeader);
  if (!eventType.success) return { ok: false, reason: 'malformed', part: 'event-type header', error: eventType.error };
  const parsed = zuzWebhookEvent.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'malformed', part: 'body', error: parsed.error };

  const body = parsed.data;
  const created = Date.parse(body.created);
  if (Number.isNaN(created) || Date.now() - created > maxAgeMs) return { ok: false, reason: 'stale' };

  const kind = KINDS[eventType.data.split('.')[1]];
  if (!kind) return { ok: false, reason: 'not_an_operation' };
  const event: ZuzEvent = { ...toOperationResult(kind, body.data), eventId: body.id, paymentId: body.payment_id };
  // An empty reconciliation id signs as an absent one, so it is read as absent (the payment then names the transaction).
  const transactionId = present(body.data.reconciliation_id);
  return { ok: true, event, ...(transactionId !== undefined && { transactionId }) };
}

/** The body as the signature sees it: an object's fields as they are, anything else as an empty event. */
function signedPart(json: unknown): SignedWebhook['body'] {
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {};
}

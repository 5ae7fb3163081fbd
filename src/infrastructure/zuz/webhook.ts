/**
 * Zuz's webhooks, read off the wire: the `event-type` header and the JSON body checked against
 * Zuz's format, then the signature, then the age; the operation reported comes out as the
 * domain's ZuzEvent. The verdict says what is wrong in Zuz-neutral terms, so each receiver
 * decides its own answer (the API, an HTTP status).
 */
import type { ZodError } from 'zod';
import type { ZuzEvent, ZuzOperationKind } from '../../domain/transaction';
import { toOperationResult } from './results';
import { isValidWebhookSignature } from './signature';
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
  /** `transactionId`: the transaction the operation belongs to, when Zuz says (its reconciliation id). */
  | { ok: true; event: ZuzEvent; transactionId?: string }
  | { ok: false; reason: 'no_body' | 'not_json' | 'invalid_signature' | 'stale' }
  /** `part` names what did not fit Zuz's format; `error` lists each wrong field. */
  | { ok: false; reason: 'malformed'; part: 'event-type header' | 'body'; error: ZodError }
  /** A genuine event about something the service does not track (a refund, the payment itself). */
  | { ok: false; reason: 'not_an_operation' };

/** The resource names of event types (`payment.<resource>.<action>`) that are operations of the service. */
const KINDS: Record<string, ZuzOperationKind | undefined> = { authorization: 'authorization', capture: 'capture', void: 'void' };

/** The shape is checked before the signature: the signature covers the event's fields, so they must be readable first. */
export function verifyZuzWebhook(request: ZuzWebhookRequest, { privateKey, maxAgeMs }: ZuzWebhookOptions): ZuzWebhookVerdict {
  const eventType = zuzEventType.safeParse(request.eventTypeHeader);
  if (!eventType.success) return { ok: false, reason: 'malformed', part: 'event-type header', error: eventType.error };
  if (!request.rawBody || request.rawBody.length === 0) return { ok: false, reason: 'no_body' };
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  const parsed = zuzWebhookEvent.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'malformed', part: 'body', error: parsed.error };

  const body = parsed.data;
  if (!isValidWebhookSignature({ eventType: eventType.data, body }, request.signatureHeader, privateKey)) {
    return { ok: false, reason: 'invalid_signature' };
  }
  const created = Date.parse(body.created);
  if (Number.isNaN(created) || Date.now() - created > maxAgeMs) return { ok: false, reason: 'stale' };

  const kind = KINDS[eventType.data.split('.')[1]];
  if (!kind) return { ok: false, reason: 'not_an_operation' };
  const event: ZuzEvent = { ...toOperationResult(kind, body.data), eventId: body.id, paymentId: body.payment_id };
  return { ok: true, event, transactionId: body.data.reconciliation_id };
}

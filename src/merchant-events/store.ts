/**
 * Events told to merchants (docs/merchant-events.md): the outbox rows the records write in the
 * same statement (or database transaction) as the status or fact they tell of
 * (src/transaction/record.ts, src/refund/record.ts, src/reconciliation/store.ts), the merchants'
 * webhook endpoints, where each event stands at each endpoint and every delivery attempt. Nothing
 * here is on the payment path but the outbox insert, which is one more row in the record's own
 * statement or transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../shared/database';
import { parseTransactionKey } from '../merchants/model';

/** Every type of event a merchant is told (docs/merchant-events.md says when each is written). */
export const MERCHANT_EVENT_TYPES = [
  'transaction.authorized',
  'transaction.succeeded',
  'transaction.declined',
  'transaction.failed',
  'transaction.cancelled',
  'refund.succeeded',
  'refund.failed',
  'transaction.refunded_by_reconciliation',
  'authorization.released',
] as const;
export type MerchantEventType = (typeof MERCHANT_EVENT_TYPES)[number];

/** How long events are listed (`GET /v1/events`). */
export const EVENT_LISTING_DAYS = 30;

/** The event's id: the same however often its status is written or its event delivered. */
export function merchantEventId(subject: string, type: string, status: string): string {
  return `evt_${createHash('sha256')
    .update(JSON.stringify([subject, type, status]))
    .digest('hex')
    .slice(0, 32)}`;
}

/**
 * The outbox insert, for a statement whose CTE `updated` (or a VALUES list) yields the row that was
 * written: the event's sequence is one more than the transaction's last event. Never fails on a
 * repeat (ON CONFLICT on the stable id): a retried write adds nothing.
 */
export const INSERT_MERCHANT_EVENT = `INSERT INTO merchant_events (id, merchant_id, type, transaction_key, sequence, data, request_id)`;
export const NEXT_SEQUENCE = (transactionKeyColumn: string) =>
  `(SELECT coalesce(max(e.sequence), 0) + 1 FROM merchant_events e WHERE e.transaction_key = ${transactionKeyColumn})`;

/** A timestamp as JavaScript's toISOString writes it (what GET shows), in SQL. */
export const ISO_UTC = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Writes one event (used inside a database transaction with the status it tells of). */
export async function insertMerchantEvent(
  connection: Queryable,
  event: { id: string; merchantId: string; type: string; transactionKey: string; data: unknown; requestId?: string },
): Promise<void> {
  await connection.query(
    `${INSERT_MERCHANT_EVENT}
     VALUES ($1, $2, $3, $4, ${NEXT_SEQUENCE('$4::text')}, $5::jsonb, $6)
     ON CONFLICT (id) DO NOTHING`,
    [event.id, event.merchantId, event.type, event.transactionKey, JSON.stringify(event.data), event.requestId ?? null],
  );
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[] | null;
  createdAt: string;
  disabledAt?: string;
  disabledReason?: string;
  /** Until when the secret before the last rotation still signs, alongside the new one. */
  previousSecretExpiresAt?: string;
}

export interface MerchantEvent {
  id: string;
  type: string;
  created: string;
  /** The event's place among its transaction's events (1, 2, ...): delivery order is not promised, this is. */
  sequence: number;
  transactionId: string;
  requestId?: string;
  data: Record<string, unknown>;
}

export interface DeliveryAttempt {
  eventId: string;
  attemptedAt: string;
  statusCode?: number;
  error?: string;
  durationMs: number;
}

/** Where a page of events ended (newest first, ties by id). */
export interface EventPosition {
  createdAt: string;
  id: string;
}

interface EndpointRow {
  id: string;
  merchant_id: string;
  url: string;
  events: string[] | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | string | null;
  created_at: Date | string;
  disabled_at: Date | string | null;
  disabled_reason: string | null;
}

interface EventRow {
  id: string;
  merchant_id: string;
  type: string;
  transaction_key: string;
  sequence: number;
  data: Record<string, unknown> | string;
  request_id: string | null;
  created_at: Date | string;
  created_at_exact?: string;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  const rotating = row.previous_secret_expires_at && new Date(row.previous_secret_expires_at).getTime() > Date.now();
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    createdAt: iso(row.created_at),
    ...(row.disabled_at ? { disabledAt: iso(row.disabled_at) } : {}),
    ...(row.disabled_reason ? { disabledReason: row.disabled_reason } : {}),
    ...(rotating && row.previous_secret_expires_at ? { previousSecretExpiresAt: iso(row.previous_secret_expires_at) } : {}),
  };
}

export function toMerchantEvent(row: EventRow): MerchantEvent {
  return {
    id: row.id,
    type: row.type,
    created: iso(row.created_at),
    sequence: Number(row.sequence),
    transactionId: parseTransactionKey(row.transaction_key).transactionId,
    ...(row.request_id ? { requestId: row.request_id } : {}),
    data: typeof row.data === 'string' ? (JSON.parse(row.data) as Record<string, unknown>) : row.data,
  };
}

const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

export class MerchantEventStore {
  constructor(private readonly db: Database) {}

  // --- endpoints (the API, always within one merchant) ---

  async createEndpoint(merchantId: string, url: string, events: string[] | null): Promise<WebhookEndpoint & { secret: string }> {
    const { rows } = await this.db.query<EndpointRow>(
      `INSERT INTO webhook_endpoints (id, merchant_id, url, events, secret) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [`we_${randomBytes(12).toString('hex')}`, merchantId, url, events, newSecret()],
    );
    return { ...toEndpoint(rows[0]), secret: rows[0].secret };
  }

  async listEndpoints(merchantId: string): Promise<WebhookEndpoint[]> {
    const { rows } = await this.db.query<EndpointRow>(`SELECT * FROM webhook_endpoints WHERE merchant_id = $1 ORDER BY created_at, id`, [
      merchantId,
    ]);
    return rows.map(toEndpoint);
  }

  async findEndpoint(merchantId: string, id: string): Promise<WebhookEndpoint | undefined> {
    const { rows } = await this.db.query<EndpointRow>(`SELECT * FROM webhook_endpoints WHERE merchant_id = $1 AND id = $2`, [
      merchantId,
      id,
    ]);
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  /** Disabled for good (idempotent): no event is sent to it again. */
  async disableEndpoint(merchantId: string | undefined, id: string, reason: string): Promise<WebhookEndpoint | undefined> {
    const { rows } = await this.db.query<EndpointRow>(
      `UPDATE webhook_endpoints SET disabled_at = coalesce(disabled_at, now()), disabled_reason = coalesce(disabled_reason, $3)
        WHERE id = $1 AND ($2::text IS NULL OR merchant_id = $2) RETURNING *`,
      [id, merchantId ?? null, reason],
    );
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  /** A new secret; the current one keeps signing alongside it for `graceSeconds`. */
  async rotateSecret(
    merchantId: string,
    id: string,
    graceSeconds: number,
  ): Promise<(WebhookEndpoint & { secret: string }) | 'disabled' | undefined> {
    const { rows } = await this.db.query<EndpointRow>(
      `UPDATE webhook_endpoints
          SET previous_secret = secret, previous_secret_expires_at = now() + make_interval(secs => $4), secret = $3
        WHERE merchant_id = $1 AND id = $2 AND disabled_at IS NULL RETURNING *`,
      [merchantId, id, newSecret(), graceSeconds],
    );
    if (rows[0]) return { ...toEndpoint(rows[0]), secret: rows[0].secret };
    return (await this.findEndpoint(merchantId, id)) ? 'disabled' : undefined;
  }

  async attemptsOf(endpointId: string, limit: number): Promise<DeliveryAttempt[]> {
    const { rows } = await this.db.query<{
      event_id: string;
      attempted_at: Date | string;
      status_code: number | null;
      error: string | null;
      duration_ms: number;
    }>(`SELECT * FROM webhook_attempts WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2`, [endpointId, limit]);
    return rows.map((row) => ({
      eventId: row.event_id,
      attemptedAt: iso(row.attempted_at),
      ...(row.status_code !== null ? { statusCode: Number(row.status_code) } : {}),
      ...(row.error !== null ? { error: row.error } : {}),
      durationMs: Number(row.duration_ms),
    }));
  }

  // --- events (the API) ---

  async listEvents(filter: {
    merchantId: string;
    type?: string;
    after?: EventPosition;
    limit: number;
  }): Promise<Array<{ event: MerchantEvent; position: EventPosition }>> {
    const { rows } = await this.db.query<EventRow>(
      `SELECT *, created_at::text AS created_at_exact FROM merchant_events
        WHERE merchant_id = $1 AND created_at > now() - make_interval(days => ${EVENT_LISTING_DAYS})
          AND ($2::text IS NULL OR type = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [filter.merchantId, filter.type ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
    );
    return rows.map((row) => ({ event: toMerchantEvent(row), position: { createdAt: row.created_at_exact ?? '', id: row.id } }));
  }

  /** Asks the dispatcher to send the event again to every endpoint subscribed now; the round's number. */
  async requestRedelivery(merchantId: string, eventId: string): Promise<number | undefined> {
    const { rows } = await this.db.query<{ redeliveries: number }>(
      `UPDATE merchant_events SET redeliveries = redeliveries + 1, dispatched_at = NULL
        WHERE merchant_id = $1 AND id = $2 RETURNING redeliveries`,
      [merchantId, eventId],
    );
    return rows[0] ? Number(rows[0].redeliveries) : undefined;
  }

  // --- the dispatcher ---

  async undispatched(limit: number): Promise<Array<{ id: string; merchantId: string; type: string; round: number; createdAt: string }>> {
    const { rows } = await this.db.query<{ id: string; merchant_id: string; type: string; redeliveries: number; created_at: Date }>(
      `SELECT id, merchant_id, type, redeliveries, created_at FROM merchant_events WHERE dispatched_at IS NULL ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      id: row.id,
      merchantId: row.merchant_id,
      type: row.type,
      round: Number(row.redeliveries),
      createdAt: iso(row.created_at),
    }));
  }

  /**
   * The merchant's endpoints that take the event: enabled, subscribed to its type and (for the
   * first round) made before it; a redelivery goes to every endpoint subscribed now. The event's
   * time comes in milliseconds and PostgreSQL keeps microseconds: compared at the event's
   * precision, an endpoint made in the event's own millisecond is told too.
   */
  async subscribersOf(event: { merchantId: string; type: string; round: number; createdAt: string }): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM webhook_endpoints
        WHERE merchant_id = $1 AND disabled_at IS NULL AND (events IS NULL OR $2 = ANY(events))
          AND ($3::int > 0 OR date_trunc('milliseconds', created_at) <= $4::timestamptz)
        ORDER BY id`,
      [event.merchantId, event.type, event.round, event.createdAt],
    );
    return rows.map((row) => row.id);
  }

  async notePending(endpointId: string, eventId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, status) VALUES ($1, $2, 'pending')
       ON CONFLICT (endpoint_id, event_id) DO UPDATE SET status = 'pending', updated_at = now()`,
      [endpointId, eventId],
    );
  }

  /** Dispatched: unless a redelivery was asked meanwhile (its round is then still to dispatch). */
  async markDispatched(eventId: string, round: number): Promise<void> {
    await this.db.query(`UPDATE merchant_events SET dispatched_at = now() WHERE id = $1 AND redeliveries = $2`, [eventId, round]);
  }

  // --- delivery (the activities) ---

  async deliveryTarget(endpointId: string): Promise<{ url: string; secrets: string[]; disabled: boolean } | undefined> {
    const { rows } = await this.db.query<EndpointRow>(`SELECT * FROM webhook_endpoints WHERE id = $1`, [endpointId]);
    const row = rows[0];
    if (!row) return undefined;
    const previousValid = row.previous_secret && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > new Date();
    return {
      url: row.url,
      secrets: previousValid && row.previous_secret ? [row.secret, row.previous_secret] : [row.secret],
      disabled: row.disabled_at !== null,
    };
  }

  async event(eventId: string): Promise<MerchantEvent | undefined> {
    const { rows } = await this.db.query<EventRow>(`SELECT * FROM merchant_events WHERE id = $1`, [eventId]);
    return rows[0] ? toMerchantEvent(rows[0]) : undefined;
  }

  async recordAttempt(attempt: { endpointId: string; eventId: string; statusCode?: number; error?: string; durationMs: number }) {
    await this.db.query(
      `INSERT INTO webhook_attempts (endpoint_id, event_id, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)`,
      [attempt.endpointId, attempt.eventId, attempt.statusCode ?? null, attempt.error ?? null, Math.round(attempt.durationMs)],
    );
  }

  async setDeliveryStatus(endpointId: string, eventId: string, status: 'delivered' | 'abandoned' | 'endpoint_disabled'): Promise<void> {
    await this.db.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, status) VALUES ($1, $2, $3)
       ON CONFLICT (endpoint_id, event_id) DO UPDATE SET status = $3, updated_at = now()`,
      [endpointId, eventId, status],
    );
  }
}

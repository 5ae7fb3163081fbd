/**
 * The audit trail: every API request that moves money or changes configuration, appended once
 * answered — who (key prefix, role, merchant), what, about what, when, the request id and the
 * answer's status. The table refuses UPDATE, DELETE and TRUNCATE (migration 9): the service can
 * only add to it.
 */
import type { Database } from '../shared/database';

export interface AuditEntry {
  keyPrefix: string;
  role: string;
  merchantId?: string;
  action: string;
  subject?: string;
  requestId: string;
  /** The HTTP status the request was answered with. */
  outcome: number;
}

export interface AuditEvent extends AuditEntry {
  id: string;
  at: string;
}

export class AuditLog {
  constructor(private readonly db: Database) {}

  async append(entry: AuditEntry): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_events (key_prefix, role, merchant_id, action, subject, request_id, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [entry.keyPrefix, entry.role, entry.merchantId ?? null, entry.action, entry.subject ?? null, entry.requestId, entry.outcome],
    );
  }

  /** Newest first; `before` is the id of the last event of the previous page. */
  async list(filter: { merchantId?: string; from?: Date; to?: Date; before?: string; limit: number }): Promise<AuditEvent[]> {
    const { rows } = await this.db.query<{
      id: string;
      at: Date;
      key_prefix: string;
      role: string;
      merchant_id: string | null;
      action: string;
      subject: string | null;
      request_id: string;
      outcome: number;
    }>(
      `SELECT * FROM audit_events
        WHERE ($1::text IS NULL OR merchant_id = $1) AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
          AND ($4::bigint IS NULL OR id < $4)
        ORDER BY id DESC LIMIT $5`,
      [
        filter.merchantId ?? null,
        filter.from?.toISOString() ?? null,
        filter.to?.toISOString() ?? null,
        filter.before ?? null,
        filter.limit,
      ],
    );
    return rows.map((row) => ({
      id: String(row.id),
      at: new Date(row.at).toISOString(),
      keyPrefix: row.key_prefix,
      role: row.role,
      ...(row.merchant_id && { merchantId: row.merchant_id }),
      action: row.action,
      ...(row.subject && { subject: row.subject }),
      requestId: row.request_id,
      outcome: Number(row.outcome),
    }));
  }
}

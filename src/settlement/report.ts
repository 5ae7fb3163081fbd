/**
 * The daily settlement report of one merchant, read from the events the service told it of
 * (merchant_events, written in the same transaction as each status): what was captured, refunded
 * at the merchant's request, and refunded by the reconciliation, on one day of the merchant's time
 * zone, by currency, each line naming its transaction.
 */
import { parseTransactionKey } from '../merchants/model';
import type { Database } from '../shared/database';

export type SettlementKind = 'capture' | 'refund' | 'reconciliation_refund';

export interface SettlementLine {
  kind: SettlementKind;
  /** The merchant's own transaction id. */
  transactionId: string;
  refundId?: string;
  currency: string;
  amount: number;
  at: string;
  eventId: string;
}

export interface SettlementTotals {
  currency: string;
  captured: number;
  captures: number;
  refunded: number;
  refunds: number;
  refundedByReconciliation: number;
  reconciliationRefunds: number;
  /** Captured minus both kinds of refund. */
  net: number;
}

export interface SettlementReport {
  merchantId: string;
  date: string;
  timeZone: string;
  from: string;
  to: string;
  totals: SettlementTotals[];
  lines: SettlementLine[];
}

const TYPES: Record<string, SettlementKind> = {
  'transaction.succeeded': 'capture',
  'refund.succeeded': 'refund',
  'transaction.refunded_by_reconciliation': 'reconciliation_refund',
};

export async function settlementReport(db: Database, merchantId: string, date: string, timeZone: string): Promise<SettlementReport> {
  const { from, to } = dayIn(date, timeZone);
  const { rows } = await db.query<{
    id: string;
    type: string;
    transaction_key: string;
    data: Record<string, unknown>;
    created_at: Date;
    currency: string;
  }>(
    `SELECT e.id, e.type, e.transaction_key, e.data, e.created_at, t.currency
       FROM merchant_events e JOIN transactions t ON t.transaction_id = e.transaction_key
      WHERE e.merchant_id = $1 AND e.type = ANY($2) AND e.created_at >= $3 AND e.created_at < $4
      ORDER BY e.created_at, e.id`,
    [merchantId, Object.keys(TYPES), from.toISOString(), to.toISOString()],
  );
  const lines = rows.map((row): SettlementLine => {
    const kind = TYPES[row.type];
    const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown>;
    const amount =
      kind === 'capture'
        ? Number(data.capturedAmount)
        : kind === 'refund'
          ? Number(data.amount)
          : Number((data.reconciliationRefund as { amount?: number } | undefined)?.amount ?? 0);
    return {
      kind,
      transactionId: parseTransactionKey(row.transaction_key).transactionId,
      ...(kind === 'refund' && typeof data.refundId === 'string' && { refundId: data.refundId }),
      currency: row.currency,
      amount,
      at: new Date(row.created_at).toISOString(),
      eventId: row.id,
    };
  });
  const byCurrency = new Map<string, SettlementTotals>();
  for (const line of lines) {
    const totals = byCurrency.get(line.currency) ?? {
      currency: line.currency,
      captured: 0,
      captures: 0,
      refunded: 0,
      refunds: 0,
      refundedByReconciliation: 0,
      reconciliationRefunds: 0,
      net: 0,
    };
    if (line.kind === 'capture') {
      totals.captured += line.amount;
      totals.captures++;
    } else if (line.kind === 'refund') {
      totals.refunded += line.amount;
      totals.refunds++;
    } else {
      totals.refundedByReconciliation += line.amount;
      totals.reconciliationRefunds++;
    }
    totals.net = totals.captured - totals.refunded - totals.refundedByReconciliation;
    byCurrency.set(line.currency, totals);
  }
  return {
    merchantId,
    date,
    timeZone,
    from: from.toISOString(),
    to: to.toISOString(),
    totals: [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    lines,
  };
}

/** The report as CSV: one row per line, then one total row per currency. */
export function settlementCsv(report: SettlementReport): string {
  const rows = [
    ['kind', 'transaction_id', 'refund_id', 'currency', 'amount', 'at', 'event_id'],
    ...report.lines.map((l) => [l.kind, l.transactionId, l.refundId ?? '', l.currency, String(l.amount), l.at, l.eventId]),
    ...report.totals.map((t) => ['net', '', '', t.currency, String(t.net), report.date, '']),
  ];
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  // Quoted when needed; a leading =, +, - or @ is prefixed so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The instants a calendar day of a time zone starts and ends (a DST day is 23 or 25 hours long). */
export function dayIn(date: string, timeZone: string): { from: Date; to: Date } {
  const [year, month, day] = date.split('-').map(Number);
  const midnight = (y: number, m: number, d: number) => {
    const guess = Date.UTC(y, m - 1, d);
    // Two rounds: the offset at the first guess may differ from the offset at local midnight across a DST change.
    let instant = guess - offsetMs(guess, timeZone);
    instant = guess - offsetMs(instant, timeZone);
    return new Date(instant);
  };
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  return { from: midnight(year, month, day), to: midnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()) };
}

/** How far the zone's wall clock is ahead of UTC at this instant. */
function offsetMs(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The transaction list. The record (database) holds every transaction for ever, so it is the
 * list's source: Temporal forgets closed runs after the retention period. A transaction still
 * running shows its live status, read from Temporal visibility (the typed search attributes the
 * workflow keeps current) for the page's unfinished rows in one query. Filtering by a running
 * status (`authorized`, say) asks visibility directly: only a live workflow can be in one.
 * Visibility is eventually consistent, so a status there lags the workflow by a moment. A merchant
 * lists only its own transactions, from either source.
 *
 * With payload encryption on, visibility's memo is ciphertext (decoded here through the client's
 * codec) and the CustomerId search attribute holds a pseudonym (`customerSearchValue`), so a
 * customer filter on visibility asks for the pseudonym and the customer id shown comes from the memo.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ApiError } from '../api/errors';
import {
  defaultPayloadConverter,
  mapFromPayloads,
  TypedSearchAttributes,
  type Payload,
  type SearchAttributePair,
} from '@temporalio/common';
import { customerIdKey, merchantIdKey, transactionAmountKey, transactionSearchAttributes, transactionStatusKey } from './search-attributes';
import { DEFAULT_MERCHANT_ID } from '../merchants/model';
import { isTerminal, workflowIdFor, type TransactionStatus } from './model';
import type { RecordPosition, TransactionRecords } from './record';

export interface ListFilter {
  merchantId: string;
  status?: TransactionStatus;
  customerId?: string;
  /** ISO 8601 bounds of the creation time, inclusive. */
  createdFrom?: string;
  createdTo?: string;
  minAmount?: number;
  maxAmount?: number;
  /** Only transactions with (true) or without (false) a succeeded refund. */
  refunded?: boolean;
  limit: number;
  cursor?: string;
}

export interface TransactionSummary {
  transactionId: string;
  customerId?: string;
  status?: string;
  amount?: number;
  currency?: string;
  startedAt?: string;
  closedAt?: string;
}

type Page = { transactions: TransactionSummary[]; nextCursor?: string };

/** What the CustomerId search attribute holds for a merchant's customer: the id itself, or its pseudonym (payload encryption on). */
export type CustomerSearchValue = (merchantId: string, customerId: string) => string;

export const plainCustomerSearchValue: CustomerSearchValue = (_merchantId, customerId) => customerId;

/** Lists with cursors signed by `cursorKey` (a server secret), so only a cursor this API wrote is followed. */
export async function listTransactions(
  client: Client,
  records: TransactionRecords,
  filter: ListFilter,
  cursorKey: Buffer,
  customerSearchValue: CustomerSearchValue = plainCustomerSearchValue,
): Promise<Page> {
  const cursors = new Cursors(cursorKey, filter);
  const cursor = filter.cursor ? cursors.decode(filter.cursor) : undefined;
  await paceOf(records).turn(filter.merchantId);
  if (filter.status && !isTerminal(filter.status)) {
    if (cursor?.from === 'record') throw invalidCursor();
    // Only a succeeded (so finished) transaction can have been refunded: no running one has.
    if (filter.refunded) return { transactions: [] };
    return listRunning(client, filter, cursor?.token, cursors, customerSearchValue);
  }
  if (cursor?.from === 'visibility') throw invalidCursor();
  return listRecorded(client, records, filter, cursor?.position, cursors);
}

/**
 * How fast one merchant's lists may start, per API process: `burst` at once, then `perSecond`. A
 * list beyond it waits its turn (it is not refused), holding its place among the merchant's lists
 * in flight (API_LIST_CONCURRENCY_PER_MERCHANT), so the merchant's further lists meet that bound's
 * 429 and Retry-After. Why (issue 38, finding 2; `tools/bench/list-isolation.ts`): with every
 * filter indexed, the worst list costs the database a fraction of a millisecond, and what one
 * merchant's flood of lists takes from the others is the API process's own time (one event loop
 * serves every merchant) and the CPU it shares; the bound on lists in flight does not bound their
 * rate when each is that fast. 10 a second is a page every 100 ms: more than a person paging, and
 * an export of 100,000 rows by pages of 100 in under two minutes.
 */
export const LIST_PACE = { perSecond: 10, burst: 10 } as const;

/**
 * The pace as a schedule (the generic cell rate algorithm): for each merchant, when its next list
 * would start if every list came at the steady rate. A list may start `burst - 1` intervals ahead
 * of that; later than it, the list waits. Merchants whose schedule is in the past are forgotten.
 */
export class ListPace {
  readonly #due = new Map<string, number>();
  readonly #intervalMs: number;
  readonly #aheadMs: number;

  constructor({ perSecond, burst }: { perSecond: number; burst: number }) {
    this.#intervalMs = 1000 / perSecond;
    this.#aheadMs = (Math.max(1, burst) - 1) * this.#intervalMs;
  }

  /** Books the merchant's next list: how many ms it must wait before it starts (0: at once). */
  book(merchantId: string, now: number): number {
    if (this.#due.size > 1024) for (const [merchant, due] of this.#due) if (due <= now) this.#due.delete(merchant);
    const due = Math.max(this.#due.get(merchantId) ?? now, now);
    this.#due.set(merchantId, due + this.#intervalMs);
    return Math.max(0, due - this.#aheadMs - now);
  }

  async turn(merchantId: string): Promise<void> {
    const wait = this.book(merchantId, Date.now());
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** One pace per API (its record store), so two APIs in one process (tests) do not share one. */
const paces = new WeakMap<TransactionRecords, ListPace>();

function paceOf(records: TransactionRecords): ListPace {
  let pace = paces.get(records);
  if (!pace) paces.set(records, (pace = new ListPace(LIST_PACE)));
  return pace;
}

async function listRecorded(
  client: Client,
  records: TransactionRecords,
  filter: ListFilter,
  after: RecordPosition | undefined,
  cursors: Cursors,
): Promise<Page> {
  const rows = await records.listPage({
    merchantId: filter.merchantId,
    customerId: filter.customerId,
    createdFrom: filter.createdFrom,
    createdTo: filter.createdTo,
    minAmount: filter.minAmount,
    maxAmount: filter.maxAmount,
    refunded: filter.refunded,
    terminalStatus: filter.status,
    after,
    limit: filter.limit,
  });
  const live = await liveStatuses(
    client,
    rows.filter((row) => !row.finalized).map((row) => row.transactionKey),
  );
  const transactions = rows.map((row): TransactionSummary => ({
    transactionId: row.transactionId,
    customerId: row.customerId,
    status: row.finalized ? row.status : (live.get(row.transactionKey) ?? row.status),
    amount: row.amount,
    currency: row.currency,
    startedAt: row.createdAt,
    closedAt: row.finalizedAt,
  }));
  const last = rows[rows.length - 1];
  return {
    transactions,
    nextCursor: rows.length === filter.limit && last ? cursors.encode({ from: 'record', position: last.position }) : undefined,
  };
}

/** The live status of each unfinished transaction of a page by key, from visibility (absent: no workflow says otherwise). */
async function liveStatuses(client: Client, keys: string[]): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  if (keys.length === 0) return statuses;
  // Keys come from the record: merchant ids and transaction ids of validated patterns, so quoting them is safe.
  const ids = keys.map((key) => `'${workflowIdFor(key)}'`).join(', ');
  const page = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query: `WorkflowId IN (${ids})`,
    pageSize: keys.length,
  });
  for (const execution of page.executions ?? []) {
    const status = decodeTypedSearchAttributes(execution.searchAttributes?.indexedFields).get(transactionStatusKey);
    const workflowId = execution.execution?.workflowId;
    if (status && workflowId) statuses.set(workflowId.replace(/^transaction-/, ''), status);
  }
  return statuses;
}

async function listRunning(
  client: Client,
  filter: ListFilter,
  token: Buffer | undefined,
  cursors: Cursors,
  customerSearchValue: CustomerSearchValue,
): Promise<Page> {
  // Values are validated by the request schema (enum and id pattern) or configuration, so quoting them is safe.
  const clauses = [
    `WorkflowType = 'processTransaction'`,
    `${transactionStatusKey.name} = '${filter.status}'`,
    merchantClause(filter.merchantId),
  ];
  // A pseudonym is `c1_` and hex: as safe to quote as the id itself.
  if (filter.customerId) clauses.push(`${customerIdKey.name} = '${customerSearchValue(filter.merchantId, filter.customerId)}'`);
  if (filter.createdFrom) clauses.push(`StartTime >= '${filter.createdFrom}'`);
  if (filter.createdTo) clauses.push(`StartTime <= '${filter.createdTo}'`);
  if (filter.minAmount !== undefined) clauses.push(`${transactionAmountKey.name} >= ${filter.minAmount}`);
  if (filter.maxAmount !== undefined) clauses.push(`${transactionAmountKey.name} <= ${filter.maxAmount}`);
  const page = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query: clauses.join(' AND '),
    pageSize: filter.limit,
    nextPageToken: token,
  });
  const pseudonymous = customerSearchValue !== plainCustomerSearchValue;
  const memos = await Promise.all((page.executions ?? []).map((execution) => decodeMemo(client, execution.memo?.fields)));
  const transactions = (page.executions ?? []).map((execution, index): TransactionSummary => {
    const attributes = decodeTypedSearchAttributes(execution.searchAttributes?.indexedFields);
    const memo = memos[index];
    return {
      transactionId:
        typeof memo.transactionId === 'string' ? memo.transactionId : String(execution.execution?.workflowId?.replace(/^transaction-/, '')),
      // The memo has the id (every start writes it); the search attribute only when it is not a pseudonym.
      customerId: typeof memo.customerId === 'string' ? memo.customerId : pseudonymous ? undefined : attributes.get(customerIdKey),
      status: attributes.get(transactionStatusKey),
      amount: attributes.get(transactionAmountKey),
      currency: typeof memo.currency === 'string' ? memo.currency : undefined,
      startedAt: timestamp(execution.startTime),
      closedAt: timestamp(execution.closeTime),
    };
  });
  const next = page.nextPageToken && page.nextPageToken.length > 0 ? Buffer.from(page.nextPageToken) : undefined;
  return { transactions, nextCursor: next ? cursors.encode({ from: 'visibility', token: next.toString('base64') }) : undefined };
}

/**
 * A raw visibility memo, decoded as the client decodes payloads: through its codec (decryption),
 * then its payload converter. A memo that cannot be decoded (a key no longer configured) reads as
 * empty, so one such row does not fail the page.
 */
async function decodeMemo(client: Client, fields: Record<string, Payload> | null | undefined): Promise<Record<string, unknown>> {
  if (!fields) return {};
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  try {
    const decoded = await Promise.all(
      Object.entries(fields).map(async ([name, payload]) => {
        let payloads = [payload];
        for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
        return [name, payloads[0]] as const;
      }),
    );
    return mapFromPayloads<string, unknown>(payloadConverter, Object.fromEntries(decoded)) ?? {};
  } catch {
    return {};
  }
}

/** The merchant's workflows; those started before merchants existed carry no MerchantId and are the default merchant's. */
function merchantClause(merchantId: string): string {
  const own = `${merchantIdKey.name} = '${merchantId}'`;
  return merchantId === DEFAULT_MERCHANT_ID ? `(${own} OR ${merchantIdKey.name} IS NULL)` : own;
}

/**
 * The transaction's search attributes from a raw page, decoded with the SDK's public payload
 * converter (each is JSON; one written through the older untyped API is a one-element list).
 * A value of the wrong type reads as absent, as `TypedSearchAttributes.get` checks it.
 */
function decodeTypedSearchAttributes(fields: Record<string, Payload> | null | undefined): TypedSearchAttributes {
  const values = mapFromPayloads<string, unknown>(defaultPayloadConverter, fields) ?? {};
  return new TypedSearchAttributes(
    transactionSearchAttributes
      .filter((key) => key.name in values)
      .map((key) => ({ key, value: [values[key.name]].flat()[0] }) as SearchAttributePair),
  );
}

function timestamp(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!t?.seconds) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

type CursorContent = { from: 'record'; position: RecordPosition } | { from: 'visibility'; token: string };
type Cursor = { from: 'record'; position: RecordPosition } | { from: 'visibility'; token: Buffer };

/**
 * A cursor is where the next page starts (a record position, or Temporal's page token) with an
 * HMAC over it and the merchant and filter it was written for. So a minted, altered or borrowed
 * cursor (another merchant's, another filter's) is a 400 here, never a query to the database or
 * to Temporal with a position the caller chose.
 */
class Cursors {
  readonly #key: Buffer;
  readonly #scope: string;

  constructor(key: Buffer, filter: ListFilter) {
    this.#key = key;
    const { merchantId, status, customerId, createdFrom, createdTo, minAmount, maxAmount, refunded } = filter;
    this.#scope = JSON.stringify(
      [merchantId, status, customerId, createdFrom, createdTo, minAmount, maxAmount, refunded].map((v) => v ?? null),
    );
  }

  encode(content: CursorContent): string {
    const body = Buffer.from(JSON.stringify(content));
    return `${body.toString('base64url')}.${this.#mac(body).toString('base64url')}`;
  }

  decode(cursor: string): Cursor {
    const [encoded, mac] = cursor.split('.');
    const body = Buffer.from(encoded ?? '', 'base64url');
    const given = Buffer.from(mac ?? '', 'base64url');
    const expected = this.#mac(body);
    if (body.length === 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor();
    try {
      const content = JSON.parse(body.toString('utf8')) as CursorContent;
      if (content.from === 'visibility' && typeof content.token === 'string')
        return { from: 'visibility', token: Buffer.from(content.token, 'base64') };
      if (
        content.from === 'record' &&
        typeof content.position?.createdAt === 'string' &&
        typeof content.position.transactionKey === 'string'
      )
        return content;
    } catch {
      // fall through: not a cursor this API wrote
    }
    throw invalidCursor();
  }

  #mac(body: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(this.#scope).update('\n').update(body).digest();
  }
}

function invalidCursor(): ApiError {
  return new ApiError(400, 'invalid_request', 'cursor: is not a cursor this API returned for this filter', [
    { field: 'cursor', message: 'is not a cursor this API returned for this filter' },
  ]);
}

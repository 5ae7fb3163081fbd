/**
 * The transaction list, from Temporal visibility: the typed search attributes the workflow keeps
 * current (status, customer, amount). Chosen over the database so that the API stays a thin
 * layer over Temporal with no database connection of its own; visibility is eventually
 * consistent, so a transaction appears in the list a moment after it starts.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ApiError } from './errors';
import {
  defaultPayloadConverter,
  mapFromPayloads,
  TypedSearchAttributes,
  type Payload,
  type SearchAttributePair,
} from '@temporalio/common';
import { customerIdKey, transactionAmountKey, transactionSearchAttributes, transactionStatusKey } from '../domain/search-attributes';

export interface ListFilter {
  status?: string;
  customerId?: string;
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

export async function listTransactions(
  client: Client,
  filter: ListFilter,
): Promise<{ transactions: TransactionSummary[]; nextCursor?: string }> {
  // Values are validated by the request schema (enum and id pattern), so quoting them is safe.
  const clauses = [`WorkflowType = 'processTransaction'`];
  if (filter.status) clauses.push(`${transactionStatusKey.name} = '${filter.status}'`);
  if (filter.customerId) clauses.push(`${customerIdKey.name} = '${filter.customerId}'`);
  const page = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query: clauses.join(' AND '),
    pageSize: filter.limit,
    nextPageToken: filter.cursor ? decodeCursor(filter.cursor) : undefined,
  });
  const transactions = (page.executions ?? []).map((execution): TransactionSummary => {
    const attributes = decodeTypedSearchAttributes(execution.searchAttributes?.indexedFields);
    const memo = mapFromPayloads<string, unknown>(defaultPayloadConverter, execution.memo?.fields) ?? {};
    return {
      transactionId:
        typeof memo.transactionId === 'string' ? memo.transactionId : String(execution.execution?.workflowId?.replace(/^transaction-/, '')),
      customerId: attributes.get(customerIdKey),
      status: attributes.get(transactionStatusKey),
      amount: attributes.get(transactionAmountKey),
      currency: typeof memo.currency === 'string' ? memo.currency : undefined,
      startedAt: timestamp(execution.startTime),
      closedAt: timestamp(execution.closeTime),
    };
  });
  const token = page.nextPageToken && page.nextPageToken.length > 0 ? encodeCursor(Buffer.from(page.nextPageToken)) : undefined;
  return { transactions, nextCursor: token };
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

/**
 * Cursors are Temporal's page tokens with a checksum, so a mangled or invented cursor is a 400
 * here instead of an opaque error (and retries) from the server.
 */
function encodeCursor(token: Buffer): string {
  return `${token.toString('base64url')}.${checksum(token)}`;
}

function decodeCursor(cursor: string): Buffer {
  const [encoded, sum] = cursor.split('.');
  const token = Buffer.from(encoded ?? '', 'base64url');
  if (!sum || token.length === 0 || checksum(token) !== sum)
    throw new ApiError(400, 'invalid_request', 'cursor: is not a cursor this API returned', [
      { field: 'cursor', message: 'is not a cursor this API returned' },
    ]);
  return token;
}

function checksum(token: Buffer): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 16);
}

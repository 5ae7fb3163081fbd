/** Translation of Zuz transaction objects into the service's own ZuzOperationResult (no card data crosses). */
import type { ZuzOperationKind, ZuzOperationResult } from '../../domain/transaction';
import type { ZuzTransaction } from './wire';

export function toOperationResult(kind: ZuzOperationKind, t: ZuzTransaction): ZuzOperationResult {
  return {
    kind,
    operationId: t.id,
    status: t.result.status,
    amount: t.amount,
    responseCode: t.provider_data?.response_code,
    description: t.provider_data?.description ?? t.result.description,
  };
}

/** The most recent operation of a kind (a transaction performs at most one of each). */
export function latestOf(kind: ZuzOperationKind, list: ZuzTransaction[] | undefined): ZuzOperationResult | undefined {
  const last = list?.[list.length - 1];
  return last ? toOperationResult(kind, last) : undefined;
}

/**
 * Translation of Zuz's transaction and payment objects into the service's own
 * ZuzOperationResult: the domain never sees a Zuz object, and no card data crosses.
 */
import type { ZuzOperationKind, ZuzOperationResult, ZuzRefundResult } from '../transaction/model';
import type { ZuzPayment, ZuzTransaction } from './wire';

/**
 * The latest result of each operation on a payment, by kind; a kind not performed yet is absent.
 * A payment may have several refunds: `refunds` lists them all, so a refund's own result is found by its id.
 */
export type ZuzPaymentState = Partial<Record<ZuzOperationKind, ZuzOperationResult>> & { refunds?: ZuzRefundResult[] };

export function toOperationResult(kind: ZuzOperationKind, t: ZuzTransaction): ZuzOperationResult {
  return {
    kind,
    operationId: t.id,
    status: t.result.status,
    amount: t.amount,
    responseCode: t.provider_data?.response_code,
    description: capped(t.provider_data?.description ?? t.result.description),
  };
}

/** Zuz's free text is not signed: kept short, so that no sender can grow a workflow's history with it. */
export const MAX_DESCRIPTION_LENGTH = 200;

function capped(text: string | undefined): string | undefined {
  return text === undefined || text.length <= MAX_DESCRIPTION_LENGTH ? text : `${text.slice(0, MAX_DESCRIPTION_LENGTH - 1)}…`;
}

/** The most recent operation of a kind (a transaction performs at most one of each). */
function latestOf(kind: ZuzOperationKind, list: ZuzTransaction[] | undefined): ZuzOperationResult | undefined {
  const last = list?.[list.length - 1];
  return last ? toOperationResult(kind, last) : undefined;
}

/** What a payment (read with all its related resources) says about each operation the service performs. */
export function toPaymentState(payment: ZuzPayment): ZuzPaymentState {
  const related = payment.related_resources ?? {};
  return {
    authorization: latestOf('authorization', related.authorizations),
    capture: latestOf('capture', related.captures),
    void: latestOf('void', related.voids),
    refund: latestOf('refund', related.refunds),
    refunds: related.refunds?.map((t) => ({
      ...toOperationResult('refund', t),
      ...(t.reconciliation_id !== undefined ? { reconciliationId: t.reconciliation_id } : {}),
    })),
  };
}

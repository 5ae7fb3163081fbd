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

/**
 * What a merchant is shown of Zuz's answer (`description`) is made here from the fields Zuz signs
 * in its webhooks (src/zuz/signature.ts): the result's status, category and sub-category and the
 * provider's response code. Zuz's own free text (`provider_data.description`, `result.description`)
 * is not signed: a copy of a genuine event can carry any text under the genuine signature. It is
 * kept, capped, as `providerMessage` only, for an operator reading the history; nothing decides
 * on it and no merchant is shown it. The same answer read from Zuz's API or a poll reads the same,
 * so the message does not depend on which source told the flow first.
 *
 * A signed field that is empty reads as absent: the signature cannot tell `""` from a missing
 * field (both sign as the empty string, paymentsos.md), so neither may mean more than the other.
 */
export function toOperationResult(kind: ZuzOperationKind, t: ZuzTransaction): ZuzOperationResult {
  const responseCode = present(t.provider_data?.response_code);
  const providerMessage = capped(present(t.provider_data?.description) ?? present(t.result.description));
  return {
    kind,
    operationId: t.id,
    status: t.result.status,
    amount: t.amount,
    ...(responseCode !== undefined && { responseCode }),
    description: describeResult(kind, t.result.status, {
      category: present(t.result.category),
      subCategory: present(t.result.sub_category),
      responseCode,
    }),
    ...(providerMessage !== undefined && { providerMessage }),
  };
}

/** The signed value, or undefined for an absent or empty one (they sign the same). */
export function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Zuz's result categories the message words (paymentsos.md); another is shown by its code. */
const CATEGORY_WORDS: Record<string, string> = {
  payment_method_declined: 'the payment method was declined',
  provider_error: 'the card network or issuer refused it',
};

/** Codes are shown only if they look like codes: signed, but shown on a till. */
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** The message for a result, from signed fields only: e.g. "Zuz declined the authorization: the payment method was declined (payment_method_declined, response code 102)". */
export function describeResult(
  kind: ZuzOperationKind,
  status: ZuzOperationResult['status'],
  signed: { category?: string; subCategory?: string; responseCode?: string },
): string {
  if (status === 'Succeed') return `Zuz approved the ${kind}`;
  if (status === 'Pending') return `Zuz is processing the ${kind}`;
  const category = signed.category !== undefined && CODE.test(signed.category) ? signed.category : undefined;
  const codes = [
    category,
    signed.subCategory !== undefined && CODE.test(signed.subCategory) ? signed.subCategory : undefined,
    signed.responseCode !== undefined && CODE.test(signed.responseCode) ? `response code ${signed.responseCode}` : undefined,
  ].filter((code) => code !== undefined);
  const words = category !== undefined && Object.hasOwn(CATEGORY_WORDS, category) ? `: ${CATEGORY_WORDS[category]}` : '';
  return `Zuz declined the ${kind}${words}${codes.length ? ` (${codes.join(', ')})` : ''}`;
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
      ...(present(t.reconciliation_id) !== undefined ? { reconciliationId: t.reconciliation_id } : {}),
    })),
  };
}

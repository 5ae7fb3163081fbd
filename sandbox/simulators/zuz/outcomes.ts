/**
 * The provider's mock behaviours (as a PaymentsOS-style test environment has them): which result a transaction gets now, and
 * which result it later resolves to, by card number (authorizations) or amount (the rest).
 */
import type { ZuzResultStatus, ZuzTransaction } from '../../../src/zuz/wire';
import { newAuthorizationCode } from './ids';
import { LONG_PENDING_MS, SHORT_PENDING_MS } from './timing';

export type FinalStatus = Exclude<ZuzResultStatus, 'Pending'>;

export type Outcome = { kind: 'immediate'; status: FinalStatus } | { kind: 'pending'; finalStatus: FinalStatus; resolveAfterMs: number };

const DECLINED_AT_ONCE = new Set(['4242424242424242', '5555555555554444']);
const PENDING_THEN_SUCCEED = new Set(['4000000000000077', '5105105105105100']);
const PENDING_THEN_FAILED = new Set(['4000000400000008', '5454545454545454']);

export function authorizationOutcome(cardNumber: string): Outcome {
  if (DECLINED_AT_ONCE.has(cardNumber)) return { kind: 'immediate', status: 'Failed' };
  if (PENDING_THEN_SUCCEED.has(cardNumber)) return { kind: 'pending', finalStatus: 'Succeed', resolveAfterMs: SHORT_PENDING_MS };
  if (PENDING_THEN_FAILED.has(cardNumber)) return { kind: 'pending', finalStatus: 'Failed', resolveAfterMs: SHORT_PENDING_MS };
  return { kind: 'immediate', status: 'Succeed' };
}

/** Captures, voids (with the payment's amount) and refunds, by amount in minor units. */
export function amountOutcome(amount: number): Outcome {
  if (amount < 20) return { kind: 'immediate', status: 'Failed' };
  if (amount < 30) return { kind: 'pending', finalStatus: 'Succeed', resolveAfterMs: SHORT_PENDING_MS };
  if (amount < 40) return { kind: 'pending', finalStatus: 'Failed', resolveAfterMs: SHORT_PENDING_MS };
  if (amount < 50) return { kind: 'pending', finalStatus: 'Succeed', resolveAfterMs: LONG_PENDING_MS };
  return { kind: 'immediate', status: 'Succeed' };
}

export function initialStatus(outcome: Outcome): ZuzResultStatus {
  return outcome.kind === 'immediate' ? outcome.status : 'Pending';
}

export const PROVIDER_NAME = 'ZuzMock';
export const DECLINE_CATEGORY = 'payment_method_declined';
export const DECLINE_RESPONSE_CODE = '102';
export const DECLINE_DESCRIPTION = 'DECLINED';

type ResultParts = Pick<ZuzTransaction, 'result' | 'provider_data'>;

/**
 * The `result` and `provider_data` a transaction carries in a given status. `transactionId` is
 * the provider's reference: it stays the same when a Pending transaction resolves.
 */
export function resultParts(status: ZuzResultStatus, transactionId: string, isAuthorization: boolean): ResultParts {
  switch (status) {
    case 'Succeed':
      return {
        result: { status, description: 'Approved' },
        provider_data: {
          provider_name: PROVIDER_NAME,
          response_code: '0',
          description: 'APPROVED',
          ...(isAuthorization ? { authorization_code: newAuthorizationCode() } : {}),
          transaction_id: transactionId,
          external_id: transactionId,
        },
      };
    case 'Failed':
      return {
        result: { status, category: DECLINE_CATEGORY, description: DECLINE_DESCRIPTION },
        provider_data: {
          provider_name: PROVIDER_NAME,
          response_code: DECLINE_RESPONSE_CODE,
          description: DECLINE_DESCRIPTION,
          transaction_id: transactionId,
          external_id: transactionId,
        },
      };
    case 'Pending':
      return {
        result: { status, description: 'The transaction is being processed' },
        provider_data: { provider_name: PROVIDER_NAME, description: 'PENDING', transaction_id: transactionId, external_id: transactionId },
      };
  }
}

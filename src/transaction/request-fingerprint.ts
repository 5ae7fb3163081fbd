/** A stable digest of a transaction request: the same transactionId with another body is a conflict. */
import { fingerprintOf } from '../shared/fingerprint';
import type { TransactionRequest } from './model';

export function requestFingerprint(r: TransactionRequest): string {
  const canonical = [r.transactionId, r.customerId, r.paymentMethodId, r.amount, r.currency, r.capture, r.description ?? ''];
  return fingerprintOf(canonical);
}

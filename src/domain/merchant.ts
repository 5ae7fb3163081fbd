/**
 * Merchants: every API key belongs to one, and every transaction to the merchant whose key
 * created it. A transaction id is the merchant's own name for it, unique per merchant only, so
 * inside the service a transaction is named by its key: merchant and id together. The key names
 * the workflow, the record row and Zuz's idempotency keys and reconciliation id, so two merchants
 * using the same id never share a workflow, a row or a payment at Zuz.
 */

/** The merchant of bare API keys, and of every transaction made before merchants existed. */
export const DEFAULT_MERCHANT_ID = 'default';

/** Merchant ids: short, lower case, and without the key's separator. */
export const MERCHANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Never allowed in a transaction id (the API's id pattern excludes it), so a key splits one way only. */
const SEPARATOR = '/';

/**
 * The transaction's name across merchants. The default merchant's keys are its bare ids, so the
 * transactions made before merchants existed keep their workflow ids, record rows and Zuz keys.
 */
export function transactionKey(merchantId: string | undefined, transactionId: string): string {
  return merchantId === undefined || merchantId === DEFAULT_MERCHANT_ID ? transactionId : `${merchantId}${SEPARATOR}${transactionId}`;
}

/** The merchant and the merchant's own id, from a key. */
export function parseTransactionKey(key: string): { merchantId: string; transactionId: string } {
  const at = key.indexOf(SEPARATOR);
  return at < 0
    ? { merchantId: DEFAULT_MERCHANT_ID, transactionId: key }
    : { merchantId: key.slice(0, at), transactionId: key.slice(at + 1) };
}

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

/** A key of API_KEYS and the merchant it acts for. */
export interface ApiKey {
  merchantId: string;
  key: string;
}

/**
 * The API_KEYS list: comma-separated `merchantId:key` entries, or bare keys (the merchant
 * `default`, so a list from before merchants keeps working). Problems name the entry by position,
 * never by content: a mistyped entry may be a key. Here, without dependencies, because the
 * service's configuration (src/shared/config.ts) and the sandbox's PMS simulator (which seeds its cards
 * for each merchant listed, and ships without the service) read the same list.
 */
export function parseApiKeys(value: string): { keys: ApiKey[]; problems: string[] } {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (!entries.length) problems.push('must list at least one key');
  entries.forEach((entry, index) => {
    const fail = (message: string) => problems.push(`entry ${index + 1}: ${message}`);
    const parts = entry.split(':');
    if (parts.length > 2) return fail('a key may not contain ":" (entries are merchantId:key or key)');
    const [merchantId, key] = parts.length === 2 ? [parts[0].trim(), parts[1].trim()] : [DEFAULT_MERCHANT_ID, parts[0]];
    if (!MERCHANT_ID_PATTERN.test(merchantId)) return fail(`the merchant id must match ${MERCHANT_ID_PATTERN.source}`);
    if (key.length < 16) return fail('each key must be at least 16 characters');
    const listed = keys.find((k) => k.key === key);
    // One key, one merchant: a key shared by two could not say whose transactions it may see.
    if (listed && listed.merchantId !== merchantId) return fail('this key is also listed for another merchant');
    if (!listed) keys.push({ merchantId, key });
  });
  return { keys, problems };
}

/** The merchants an API_KEYS list names, each once, in order of first appearance. */
export function merchantsOfApiKeys(keys: readonly ApiKey[]): string[] {
  return [...new Set(keys.map((k) => k.merchantId))];
}

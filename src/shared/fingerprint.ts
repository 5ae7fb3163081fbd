/**
 * A request's fingerprint: the SHA-256 of its canonical JSON. The same key (a transaction id, a
 * refund id, an idempotency key) with another fingerprint is another request. Fingerprints are
 * stored (records, memos, update ids), so a canonical form, once chosen, never changes.
 */
import { createHash } from 'node:crypto';

export function fingerprintOf(canonical: unknown, encoding: 'hex' | 'base64url' = 'hex'): string {
  return createHash('sha256').update(JSON.stringify(canonical)).digest(encoding);
}

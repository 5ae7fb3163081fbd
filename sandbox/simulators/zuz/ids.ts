/** The ids the simulated provider hands out: payment, transaction, request and event ids, authorization codes. */
import { randomInt, randomUUID } from 'node:crypto';

export type IdPrefix = 'pay' | 'auth' | 'cap' | 'void' | 'ref' | 'evt' | 'txn';

/** Provider-style ids: `pay_<uuid>`, `auth_<uuid>`, ... */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomUUID()}`;
}

export function newRequestId(): string {
  return randomUUID();
}

/** A six-digit issuer authorization code. */
export function newAuthorizationCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

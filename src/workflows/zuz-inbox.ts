/**
 * The inbox of Zuz results a workflow keeps (webhooks, API answers and polls alike): webhooks may
 * arrive before the flow waits for them, twice, or out of order, so the inbox remembers which
 * events it has seen and keeps the first final answer per operation; a later Pending never
 * overwrites it. Only what Zuz signs is kept (its free text is not: src/zuz/results.ts).
 */
import type { ZuzOperationResult } from '../transaction/model';

export class ZuzInbox {
  readonly #results = new Map<string, ZuzOperationResult>();
  readonly #seenEventIds = new Set<string>();

  /** `keyOf` names an operation: a transaction has one of each kind, a refund workflow one per refund operation. */
  constructor(private readonly keyOf: (result: ZuzOperationResult) => string) {}

  /** Whether this event id is new (Zuz delivers at least once); it is seen from now on. */
  firstSight(eventId: string): boolean {
    if (this.#seenEventIds.has(eventId)) return false;
    this.#seenEventIds.add(eventId);
    return true;
  }

  /** Records a result; false when the operation already has its final answer. */
  record(result: ZuzOperationResult): boolean {
    const key = this.keyOf(result);
    const known = this.#results.get(key);
    if (known && known.status !== 'Pending') return false;
    const { kind, operationId, status, amount, responseCode, description } = result;
    this.#results.set(key, { kind, operationId, status, amount, responseCode, description });
    return true;
  }

  /** The operation's final answer, once there is one. */
  final(key: string): ZuzOperationResult | undefined {
    const result = this.#results.get(key);
    return result && result.status !== 'Pending' ? result : undefined;
  }
}

/**
 * Injected faults, set for every payment or for one payment id. A payment's own faults win
 * over the global ones. Counters apply to API requests (GET and POST, not admin routes) and are
 * used up one per request: a request for payment P draws from P's counters first.
 */
import { z } from 'zod';

export type WebhookMode =
  /** Deliver each event once (retried until a 2xx). */
  | 'normal'
  /** Record the event as sent but never let it reach the receiver: a lost webhook. */
  | 'drop'
  /** Deliver every event twice (same id and signature). */
  | 'duplicate'
  /** Deliver each event after `webhookDelayMs`. */
  | 'delay'
  /** Hold a payment's events until it has no pending transaction and `webhookDelayMs` passes quietly, then deliver them newest first. */
  | 'reorder'
  /** Deliver the event, and wait for that first attempt, before answering the API call that caused it. */
  | 'before-response'
  /** Send nothing: only polling reveals results. */
  | 'none';

export interface ZuzFaults {
  /** Added before every API answer, in real milliseconds. */
  latencyMs?: number;
  /** The next N requests answer 503 without doing anything. */
  failBeforeNext?: number;
  /** The next N requests do their work, then answer 503: "did it happen?". */
  failAfterNext?: number;
  /** The next N requests do their work, then the connection is destroyed without an answer. */
  resetAfterNext?: number;
  webhooks?: WebhookMode;
  /** For 'delay' and 'reorder', in real milliseconds. Default 1000. */
  webhookDelayMs?: number;
  /** A Pending operation created meanwhile resolves this many real milliseconds later than its rule says: a late answer. */
  lateAnswerMs?: number;
}

export const DEFAULT_WEBHOOK_DELAY_MS = 1000;

const count = z.number().int().nonnegative().optional();
export const zuzFaultsSchema = z
  .object({
    latencyMs: count,
    failBeforeNext: count,
    failAfterNext: count,
    resetAfterNext: count,
    webhooks: z.enum(['normal', 'drop', 'duplicate', 'delay', 'reorder', 'before-response', 'none']).optional(),
    webhookDelayMs: count,
    lateAnswerMs: count,
  })
  .strict();

export const setFaultsBody = z.object({ paymentId: z.string().min(1).optional(), faults: zuzFaultsSchema }).strict();

/** What happens to one request, decided when it arrives. */
export type RequestFault = 'fail-before' | 'fail-after' | 'reset-after' | undefined;

const COUNTERS: ReadonlyArray<['failBeforeNext' | 'failAfterNext' | 'resetAfterNext', RequestFault]> = [
  ['failBeforeNext', 'fail-before'],
  ['failAfterNext', 'fail-after'],
  ['resetAfterNext', 'reset-after'],
];

export class FaultBook {
  private global: ZuzFaults = {};
  private readonly byPayment = new Map<string, ZuzFaults>();

  /** Replaces the faults of that scope; `{}` clears them. */
  set(faults: ZuzFaults, paymentId?: string): void {
    if (paymentId === undefined) this.global = { ...faults };
    else this.byPayment.set(paymentId, { ...faults });
  }

  latencyMs(paymentId?: string): number {
    return this.scoped(paymentId)?.latencyMs ?? this.global.latencyMs ?? 0;
  }

  /** Decides this request's fault and uses up the counter it came from. */
  takeRequestFault(paymentId?: string): RequestFault {
    for (const faults of [this.scoped(paymentId), this.global]) {
      if (!faults) continue;
      for (const [counter, fault] of COUNTERS) {
        const remaining = faults[counter] ?? 0;
        if (remaining > 0) {
          faults[counter] = remaining - 1;
          return fault;
        }
      }
    }
    return undefined;
  }

  lateAnswerMs(paymentId: string): number {
    return this.scoped(paymentId)?.lateAnswerMs ?? this.global.lateAnswerMs ?? 0;
  }

  webhookPolicy(paymentId: string): { mode: WebhookMode; delayMs: number } {
    const scoped = this.scoped(paymentId);
    return {
      mode: scoped?.webhooks ?? this.global.webhooks ?? 'normal',
      delayMs: scoped?.webhookDelayMs ?? this.global.webhookDelayMs ?? DEFAULT_WEBHOOK_DELAY_MS,
    };
  }

  private scoped(paymentId?: string): ZuzFaults | undefined {
    return paymentId === undefined ? undefined : this.byPayment.get(paymentId);
  }
}

/** Faults a test can inject into the PMS simulator's lookups (admin routes are never affected). */
import { z } from 'zod';

export interface PmsFaults {
  /** Added before every lookup answers, in real milliseconds. */
  latencyMs?: number;
  /** The next N lookups answer 503. */
  failNext?: number;
}

export const pmsFaultsSchema = z
  .object({
    latencyMs: z.number().int().nonnegative().optional(),
    failNext: z.number().int().nonnegative().optional(),
  })
  .strict();

export class PmsFaultBook {
  private faults: PmsFaults = {};

  /** Replaces the current faults; `{}` clears them. */
  set(faults: PmsFaults): void {
    this.faults = { ...faults };
  }

  latencyMs(): number {
    return this.faults.latencyMs ?? 0;
  }

  /** True when this lookup should fail; consumes one of the `failNext` budget. */
  takeFailure(): boolean {
    const remaining = this.faults.failNext ?? 0;
    if (remaining <= 0) return false;
    this.faults.failNext = remaining - 1;
    return true;
  }
}

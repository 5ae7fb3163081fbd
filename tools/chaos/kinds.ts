/**
 * The scenario mix: the kinds of transaction a chaos run drives, each with what the client does
 * and the terminal state it must end in whatever the faults. Amounts follow Zuz's mock rules
 * (sandbox/simulators/zuz/outcomes.ts): >= 50 minor units captures and voids at once, below 20 a capture
 * is refused — used on purpose by one kind only.
 */
import type { CaptureMode } from '../../src/domain/transaction';
import { SeededRandom } from './random';
import type { ExpectedOutcome } from '../invariants/types';

export type KindName =
  | 'approved'
  | 'declined'
  | 'pending_approved'
  | 'pending_declined'
  | 'manual_capture'
  | 'manual_cancel'
  | 'manual_expiring'
  | 'manual_capture_refused';

/**
 * What the client does once the transaction is `authorized` (manual capture only), after a
 * pause like a till's (well inside the authorization expiry), so that captures and cancels also
 * land in the middle of faults.
 */
export type ClientAction = { type: 'none' } | { type: 'capture'; amount: number; afterMs: number } | { type: 'cancel'; afterMs: number };

const clientPause = (random: SeededRandom) => random.int(0, 5000);

export type { ExpectedOutcome } from '../invariants/types';

export interface TransactionPlan {
  index: number;
  transactionId: string;
  kind: KindName;
  paymentMethodId: string;
  amount: number;
  capture: CaptureMode;
  action: ClientAction;
  expected: ExpectedOutcome;
  /** Waits the kind has by design (the manual-expiring one waits out the authorization expiry). */
  designedWaitMs: number;
  /** Once finished, its workflow is deleted (as retention does) and the same request sent again. */
  forgetAndRepeat?: boolean;
}

interface KindDefinition {
  weight: number;
  build(random: SeededRandom, authorizationExpiryMs: number): Omit<TransactionPlan, 'index' | 'transactionId' | 'kind'>;
}

const anyAmount = (random: SeededRandom) => random.int(50, 50_000);

const KINDS: Record<KindName, KindDefinition> = {
  approved: {
    weight: 24,
    build: (random) => {
      const amount = anyAmount(random);
      return auto('pm_approved', amount, { status: 'succeeded', capturedAmount: amount, money: 'captured' });
    },
  },
  declined: {
    weight: 10,
    build: (random) =>
      auto('pm_declined', anyAmount(random), {
        status: 'declined',
        failureCode: 'authorization_declined',
        capturedAmount: 0,
        money: 'never-authorized',
      }),
  },
  pending_approved: {
    weight: 16,
    build: (random) => {
      const amount = anyAmount(random);
      return auto('pm_pending_approved', amount, { status: 'succeeded', capturedAmount: amount, money: 'captured' });
    },
  },
  pending_declined: {
    weight: 10,
    build: (random) =>
      auto('pm_pending_declined', anyAmount(random), {
        status: 'declined',
        failureCode: 'authorization_declined',
        capturedAmount: 0,
        money: 'never-authorized',
      }),
  },
  manual_capture: {
    weight: 16,
    build: (random) => {
      const amount = random.int(200, 50_000);
      const partial = random.int(50, amount - 1); // a partial capture: less than authorized
      return manual(
        amount,
        { type: 'capture', amount: partial, afterMs: clientPause(random) },
        { status: 'succeeded', capturedAmount: partial, money: 'captured' },
      );
    },
  },
  manual_cancel: {
    weight: 9,
    build: (random) =>
      manual(
        anyAmount(random),
        { type: 'cancel', afterMs: clientPause(random) },
        { status: 'cancelled', failureCode: 'cancelled_by_client', capturedAmount: 0, money: 'voided' },
      ),
  },
  manual_expiring: {
    weight: 9,
    build: (random, expiryMs) => ({
      ...manual(
        anyAmount(random),
        { type: 'none' },
        { status: 'cancelled', failureCode: 'authorization_expired', capturedAmount: 0, money: 'voided' },
      ),
      designedWaitMs: expiryMs,
    }),
  },
  manual_capture_refused: {
    // A capture below 20 minor units is refused by Zuz: the flow fails it and voids the
    // authorization, whose void (on the payment's full amount, >= 50) succeeds.
    weight: 6,
    build: (random) =>
      manual(
        anyAmount(random),
        { type: 'capture', amount: random.int(1, 19), afterMs: clientPause(random) },
        { status: 'failed', failureCode: 'capture_failed', capturedAmount: 0, money: 'voided' },
      ),
  },
};

export const KIND_NAMES = Object.keys(KINDS) as KindName[];

function auto(paymentMethodId: string, amount: number, expected: ExpectedOutcome) {
  return { paymentMethodId, amount, capture: 'auto' as const, action: { type: 'none' } as ClientAction, expected, designedWaitMs: 0 };
}

function manual(amount: number, action: ClientAction, expected: ExpectedOutcome) {
  return { paymentMethodId: 'pm_approved', amount, capture: 'manual' as const, action, expected, designedWaitMs: 0 };
}

/** The run's transactions, in the order they are started. The ids carry a run tag so a shared database never sees one twice. */
export function planTransactions(seed: number, count: number, runTag: string, authorizationExpiryMs: number): TransactionPlan[] {
  const random = SeededRandom.stream(seed, 'mix');
  // A stream of its own, so the mix of kinds for a seed is what it was before forgetting existed.
  const forgetting = SeededRandom.stream(seed, 'forget');
  const weights = KIND_NAMES.map((name) => [name, KINDS[name].weight] as const);
  return Array.from({ length: count }, (_, index) => {
    const kind = random.weighted(weights);
    const forgetAndRepeat = forgetting.int(0, 7) === 0;
    return {
      index,
      transactionId: `chaos-${seed}-${runTag}-${index}`,
      kind,
      ...KINDS[kind].build(random, authorizationExpiryMs),
      forgetAndRepeat,
    };
  });
}

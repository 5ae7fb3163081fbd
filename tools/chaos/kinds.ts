/**
 * The scenario mix: the kinds of transaction a chaos run drives, each with what the client does
 * and the terminal state it must end in whatever the faults. Amounts follow Zuz's mock rules
 * (sandbox/simulators/zuz/outcomes.ts): >= 50 minor units captures and voids at once, below 20 a capture
 * is refused — used on purpose by one kind only.
 */
import type { CaptureMode } from '../../src/transaction/model';
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
  /** Once succeeded, the refunds its merchant asks for, in order (src/refund/routes.ts). */
  refunds?: RefundStep[];
}

/**
 * One refund request of a succeeded transaction. Amounts follow Zuz's mock rules: below 20 a
 * refund fails at once, 20-29 is Pending then succeeds, 30-39 Pending then fails, 50 and up
 * succeeds at once. 40-49 stays Pending for a (scaled) day, past the whole run and Zuz's settling,
 * so no refund asks for it. `repeat`: sent again as is,
 * as a back office whose answer was lost would; `beyond`: more than can be left, refused.
 */
export interface RefundStep {
  refundId: string;
  /** Absent: everything still refundable. */
  amount?: number;
  repeat: boolean;
  beyond?: boolean;
}

interface KindDefinition {
  weight: number;
  build(random: SeededRandom, authorizationExpiryMs: number): Omit<TransactionPlan, 'index' | 'transactionId' | 'kind'>;
}

const anyAmount = (random: SeededRandom) => random.int(50, 50_000);

/** An automatic capture of a card the simulators approve (at once or after a pending answer): captured in full. */
const capturedInFull =
  (paymentMethodId: string): KindDefinition['build'] =>
  (random) => {
    const amount = anyAmount(random);
    return auto(paymentMethodId, amount, { status: 'succeeded', capturedAmount: amount, money: 'captured' });
  };

/** A card the simulators decline (at once or after a pending answer): nothing is ever held. */
const declinedBy =
  (paymentMethodId: string): KindDefinition['build'] =>
  (random) =>
    auto(paymentMethodId, anyAmount(random), {
      status: 'declined',
      failureCode: 'authorization_declined',
      capturedAmount: 0,
      money: 'never-authorized',
    });

const KINDS: Record<KindName, KindDefinition> = {
  approved: { weight: 24, build: capturedInFull('pm_approved') },
  declined: { weight: 10, build: declinedBy('pm_declined') },
  pending_approved: { weight: 16, build: capturedInFull('pm_pending_approved') },
  pending_declined: { weight: 10, build: declinedBy('pm_pending_declined') },
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
  const refunding = SeededRandom.stream(seed, 'refunds');
  const weights = KIND_NAMES.map((name) => [name, KINDS[name].weight] as const);
  return Array.from({ length: count }, (_, index) => {
    const kind = random.weighted(weights);
    const forgetAndRepeat = forgetting.int(0, 7) === 0;
    const built = KINDS[kind].build(random, authorizationExpiryMs);
    return {
      index,
      transactionId: `chaos-${seed}-${runTag}-${index}`,
      kind,
      ...built,
      forgetAndRepeat,
      // A stream of its own too, so adding refunds changed no seed's mix of kinds or faults. From 200
      // up, whatever the partial refund did, the rest is never 40-49 (see RefundStep).
      ...(built.expected.status === 'succeeded' &&
        built.expected.capturedAmount >= 200 &&
        refunding.int(0, 2) === 0 && { refunds: refundSteps(built.expected.capturedAmount, refunding) }),
    };
  });
}

/** A partial refund (its outcome by the mock rules), now and then repeated, a request beyond the capture, then the rest. */
function refundSteps(captured: number, random: SeededRandom): RefundStep[] {
  const partial = random.pick([15, 25, 35, random.int(50, Math.max(50, Math.floor(captured / 3)))]);
  const steps: RefundStep[] = [];
  if (partial < captured) steps.push({ refundId: 'part', amount: partial, repeat: random.int(0, 2) === 0 });
  if (random.int(0, 1) === 0) steps.push({ refundId: 'too-much', amount: captured + 1, repeat: false, beyond: true });
  steps.push({ refundId: 'rest', repeat: random.int(0, 2) === 0 });
  return steps;
}

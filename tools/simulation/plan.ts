/**
 * One seed, one transaction: what the client asks for, what kind of transaction it is, how rough
 * the provider's weather is, and when the till acts. Everything the provider decides later (each
 * answer, delay, failure and webhook) is drawn lazily by the world from streams of the same seed.
 */
import type { TransactionRequest } from '../../src/transaction/model';
import type { KindName } from '../chaos/kinds';
import { SeededRandom } from '../chaos/random';

/** The chaos suite's kinds, and those only the simulation's world can stage. */
export type SimKind = KindName | 'auto_cancel' | 'risk_rejected' | 'card_not_found' | 'card_unusable';

/** calm: every call answers; flaky: calls fail before or after acting now and then; outage: Zuz refuses everything for a while. */
export type Weather = 'calm' | 'flaky' | 'outage';

/** What PMS and Zuz make of the card. */
export type CardBehaviour = 'approve' | 'decline' | 'not-found' | 'expired' | 'token-refused';

export type ClientRequest = { action: 'capture'; amount?: number } | { action: 'cancel' };

/** The till: one request at a time, at `atMs` after the start, re-sent up to `retries` times while the transaction is not ready for it. */
export interface ClientStep {
  atMs: number;
  request: ClientRequest;
  retries: number;
  /** Sent once more right after its answer, as a till whose network hiccuped would. */
  repeat: boolean;
}

export interface SimulationPlan {
  seed: number;
  kind: SimKind;
  request: TransactionRequest;
  weather: Weather;
  /** Server-time window (ms after the start) during which Zuz answers every call with 503. */
  outage?: { fromMs: number; toMs: number };
  card: CardBehaviour;
  /** Whether Zuz's authorization answers Pending first (the final answer comes later). */
  authorizationPending: boolean;
  riskCleared: boolean;
  /** What Zuz decides on the capture. */
  captureSucceeds: boolean;
  client: ClientStep[];
  /**
   * A Zuz call whose attempts go unanswered for a while: it acts (unless `acts` is false) and the
   * answer is lost, past all of a command step's retries (about 2 minutes) — the case where the
   * flow must read the payment to learn what happened. A void retries for ever, so it gets its
   * answer once the window ends.
   */
  unanswered?: { call: 'createAuthorization' | 'createCapture' | 'createVoid'; acts: boolean; forMs: number };
  /** When (ms after the start) the worker running the transactions is killed and a fresh one takes over. */
  workerCrashAtMs?: number;
  /** Once the transaction has succeeded, the refunds its merchant asks for (ignored otherwise). */
  refunds: SimRefundStep[];
}

/**
 * A refund request of the merchant's back office, through the API's own refund logic
 * (src/refund/routes.ts askForRefund): at `afterMs` past the transaction's end, under a refund id of
 * a small set (so the same id comes back: a repeat, or a conflict when the amount differs), for
 * part of the capture, all that is left (`amount` absent) or more than can be left.
 */
export interface SimRefundStep {
  afterMs: number;
  refundId: string;
  amount?: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The production waits (src/workflows/options.ts): the simulation runs the flow with its defaults. */
export const AUTHORIZATION_EXPIRY_MS = 7 * DAY;

const KIND_WEIGHTS: ReadonlyArray<readonly [SimKind, number]> = [
  ['approved', 16],
  ['declined', 6],
  ['pending_approved', 14],
  ['pending_declined', 6],
  ['manual_capture', 16],
  ['manual_cancel', 9],
  ['manual_expiring', 6],
  ['manual_capture_refused', 6],
  ['auto_cancel', 6],
  ['risk_rejected', 3],
  ['card_not_found', 3],
  ['card_unusable', 3],
];

const MERCHANTS = [undefined, 'default', 'shop-a', 'shop-b'] as const;
/** The merchants MERCHANTS names (no merchant at all is the default one). */
const merchantOf = (drawn: string | undefined) => drawn ?? 'default';

/**
 * Seeds come in pairs (2k, 2k+1) whose transactions share their ids — transaction, customer and
 * payment method — under two different merchants, and run side by side: each merchant's
 * transaction must touch its own card, payment and record only.
 */
function merchantFor(seed: number, drawn: (typeof MERCHANTS)[number]): (typeof MERCHANTS)[number] {
  if (seed % 2 === 0) return drawn;
  const sibling = merchantOf(planFor(seed - 1).request.merchantId);
  if (merchantOf(drawn) !== sibling) return drawn;
  return MERCHANTS.find((m) => m !== undefined && m !== sibling);
}

export function planFor(seed: number): SimulationPlan {
  const random = SeededRandom.stream(seed, 'plan');
  // A stream of its own: adding refunds changed nothing else a seed plans.
  const refunding = SeededRandom.stream(seed, 'refunds');
  const kind = random.weighted(KIND_WEIGHTS);
  const amount = random.weighted([
    [random.int(50, 50_000), 8],
    [random.int(1, 49), 1],
  ] as const);
  const manual = kind.startsWith('manual_');
  const merchantId = merchantFor(seed, random.pick(MERCHANTS));
  const pair = Math.floor(seed / 2);
  const request: TransactionRequest = {
    transactionId: `sim-${pair}`,
    ...(merchantId !== undefined && { merchantId }),
    customerId: `cus-${pair}`,
    paymentMethodId: `pm-${pair}`,
    amount,
    currency: random.pick(['EUR', 'USD', 'GBP']),
    capture: manual ? 'manual' : 'auto',
  };
  const weather = random.weighted([
    ['calm', 3],
    ['flaky', 5],
    ['outage', 2],
  ] as const);
  const outageFrom = random.weighted([
    [random.int(0, 5 * SECOND), 2],
    [random.int(5 * SECOND, 10 * MINUTE), 2],
    [random.int(10 * MINUTE, 8 * DAY), 1],
  ] as const);
  const outageLength = random.weighted([
    [random.int(SECOND, MINUTE), 2],
    [random.int(MINUTE, 20 * MINUTE), 2],
    [random.int(20 * MINUTE, 3 * HOUR), 1],
  ] as const);
  return {
    seed,
    kind,
    request,
    weather,
    ...(weather === 'outage' && { outage: { fromMs: outageFrom, toMs: outageFrom + outageLength } }),
    card: cardOf(kind, random),
    authorizationPending: kind.startsWith('pending_') || random.int(0, 3) === 0,
    riskCleared: kind !== 'risk_rejected',
    captureSucceeds: kind !== 'manual_capture_refused' && random.int(0, 19) !== 0,
    client: clientSteps(kind, amount, random),
    refunds: refundSteps(amount, refunding),
    ...(random.int(0, 4) === 0 && {
      unanswered: {
        call: random.pick(['createAuthorization', 'createCapture', 'createCapture', 'createVoid'] as const),
        acts: random.int(0, 3) > 0,
        forMs: random.int(MINUTE, 3 * HOUR),
      },
    }),
    ...(random.int(0, 3) === 0 && {
      workerCrashAtMs: random.weighted([
        [random.int(0, 5 * SECOND), 3],
        [random.int(5 * SECOND, HOUR), 2],
        [random.int(HOUR, 8 * DAY), 1],
      ] as const),
    }),
  };
}

function cardOf(kind: SimKind, random: SeededRandom): CardBehaviour {
  switch (kind) {
    case 'declined':
    case 'pending_declined':
      return 'decline';
    case 'card_not_found':
      return 'not-found';
    case 'card_unusable':
      return random.pick(['expired', 'token-refused'] as const);
    default:
      return 'approve';
  }
}

/** When the till acts: early (before the authorization is through), soon after, days later, or around the expiry. */
function clientSteps(kind: SimKind, amount: number, random: SeededRandom): ClientStep[] {
  const at = () =>
    random.weighted([
      [random.int(0, 2 * SECOND), 2],
      [random.int(2 * SECOND, 10 * MINUTE), 4],
      [random.int(10 * MINUTE, 6 * DAY), 2],
      [AUTHORIZATION_EXPIRY_MS + random.int(-MINUTE, MINUTE), 1],
    ] as const);
  const step = (request: ClientRequest): ClientStep => ({ atMs: at(), request, retries: random.int(0, 6), repeat: random.int(0, 3) === 0 });
  switch (kind) {
    case 'manual_capture':
      return [step({ action: 'capture', amount: random.int(0, 1) === 0 ? undefined : random.int(1, amount) })];
    case 'manual_capture_refused':
      return [step({ action: 'capture' })];
    case 'manual_cancel':
    case 'auto_cancel':
      return [step({ action: 'cancel' })];
    case 'manual_expiring':
      return [];
    default:
      // Now and then a confused till: a capture on an auto transaction, or a late cancel.
      return random.int(0, 5) === 0 ? [step(random.pick([{ action: 'capture' }, { action: 'cancel' }] as const))] : [];
  }
}

/**
 * None for two seeds in five; else one to four requests from seconds to weeks after the end. Now
 * and then one is an earlier one sent again as it was, often days later, when Zuz has forgotten
 * its idempotency key and Temporal its workflow (the runner checks that no repeat starts again a
 * refund that may have reached Zuz).
 */
function refundSteps(amount: number, random: SeededRandom): SimRefundStep[] {
  if (random.int(0, 4) < 2) return [];
  const steps: SimRefundStep[] = [];
  const at = () =>
    random.weighted([
      [random.int(0, MINUTE), 3],
      [random.int(MINUTE, DAY), 3],
      [random.int(DAY, 20 * DAY), 2],
    ] as const);
  for (let count = random.int(1, 4); steps.length < count;) {
    const repeated = steps.length > 0 && random.int(0, 2) === 0 ? random.pick(steps) : undefined;
    if (repeated) {
      steps.push({ ...repeated, afterMs: repeated.afterMs + random.int(MINUTE, 3 * DAY) });
      continue;
    }
    steps.push({
      afterMs: at(),
      refundId: random.pick(['r1', 'r2', 'r3']),
      amount: random.weighted([
        [random.int(1, Math.max(1, Math.floor(amount / 2))), 5],
        [undefined, 3],
        [amount + random.int(1, 1000), 1],
      ] as const),
    });
  }
  return steps;
}

/**
 * The simulated world of one seed: Zuz (a PaymentsOS-style ledger with idempotency keys and 409s
 * on invalid transitions), PMS and the transaction record, all in process. Every choice the
 * provider makes — answer now or Pending, how long until the final answer, fail before or after
 * acting, which webhooks go out, how often and when, whether a read is stale — is drawn from a
 * named stream of the seed, so a seed replays the same world.
 *
 * Time is the Temporal server's (workflow) time: a call reads it from its activity attempt's
 * scheduled time, so the world does not depend on how fast the machine runs the schedule.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Context } from '@temporalio/activity';
import type { LedgerEntry } from '../../sandbox/simulators/zuz';
import {
  authorizationRefusal,
  captureRefusal,
  refundRefusal,
  voidRefusal,
  type RuledPayment,
} from '../../sandbox/simulators/zuz/transitions';
import { UpstreamError } from '../../src/shared/http';
import type { ZuzPaymentState } from '../../src/zuz';
import type { SavedCard } from '../../src/pms';
import type { TransactionView, ZuzEvent, ZuzOperationKind, ZuzOperationResult, ZuzOperationStatus } from '../../src/transaction/model';
import { DEFAULT_MERCHANT_ID } from '../../src/merchants/model';
import { SeededRandom } from '../chaos/random';
import type { SimulationPlan } from './plan';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How long Zuz answers a repeated idempotency key with its first answer (PaymentsOS: 24 hours). */
const IDEMPOTENCY_WINDOW_MS = DAY;
/** The flow's capture deadline (src/workflows/options.ts). */
export const CAPTURE_DEADLINE_MS = 3 * DAY;

type FinalStatus = Exclude<ZuzOperationStatus, 'Pending'>;

export interface Operation {
  id: string;
  paymentId: string;
  kind: ZuzOperationKind;
  amount: number;
  currency: string;
  reconciliationId?: string;
  createdAt: number;
  firstStatus: ZuzOperationStatus;
  finalStatus: FinalStatus;
  /** When a Pending operation takes its final status (undefined: final at once). */
  resolvesAt?: number;
}

interface Payment {
  id: string;
  amount: number;
  currency: string;
  operations: Operation[];
}

/**
 * What the world does to the running workflows from outside: webhooks at a server time, or at
 * once. `refundOf` names the refund a refund's event is about (its reconciliation id): the API
 * hands such events to the refund's own workflow.
 */
export interface WorldOutlet {
  /** Delivers the event now (a webhook sent before the API answer). */
  deliverNow(event: ZuzEvent, refundOf?: string): Promise<void>;
  /** Delivers the event at this server time. */
  deliverAt(atMs: number, event: ZuzEvent, refundOf?: string): void;
}

/** How each kind of call fared, for the report (what the seeds exercised). */
export type CallFate = 'answered' | 'failed-before' | 'failed-after' | 'timed-out' | 'refused' | 'outage' | 'stale';

/** The test server's time when the local activity being served began (set by atServerTime, activities.ts). */
export const localActivityServerTime = new AsyncLocalStorage<number>();

export class SimulatedWorld {
  readonly zuz: SimulatedZuz;
  readonly pms: SimulatedPms;
  readonly record: SimulatedRecord;
  readonly fates = new Map<string, number>();
  /** Voids Zuz itself decided to refuse (Failed): the flow did ask, Zuz said no. */
  readonly voidsFailedByZuz = new Set<string>();
  startedAt?: number;
  /** Server time of the daily reconciliation calling now (it runs outside any activity). */
  reconcilingAt?: number;
  /** Webhooks drawn but not yet delivered: the world is quiet once none is left and every operation has resolved. */
  webhooksInFlight = 0;

  constructor(
    readonly plan: SimulationPlan,
    readonly outlet: WorldOutlet,
  ) {
    this.zuz = new SimulatedZuz(this);
    this.pms = new SimulatedPms(this);
    this.record = new SimulatedRecord(this);
  }

  stream(name: string): SeededRandom {
    let stream = this.streams.get(name);
    if (!stream) this.streams.set(name, (stream = SeededRandom.stream(this.plan.seed, name)));
    return stream;
  }

  private readonly streams = new Map<string, SeededRandom>();

  /**
   * Server time of the call being served: its activity attempt's scheduled time; for a local
   * activity (whose timestamps are the worker's clock, not the test server's) the server's time
   * when it began (localActivityServerTime); the start of the run if called outside an activity.
   */
  now(): number {
    if (this.reconcilingAt !== undefined) return this.reconcilingAt;
    const local = localActivityServerTime.getStore();
    if (local !== undefined) return local;
    try {
      return Context.current().info.currentAttemptScheduledTimestampMs;
    } catch {
      return this.startedAt ?? 0;
    }
  }

  count(call: string, fate: CallFate): void {
    const key = `${call}:${fate}`;
    this.fates.set(key, (this.fates.get(key) ?? 0) + 1);
  }

  /**
   * Runs one call under the weather: an outage refuses it, a flaky network fails it before it
   * acts or loses its answer after. Returns what `act` returned when the answer gets through.
   */
  async call<T>(service: 'Zuz' | 'PMS' | 'database', call: string, act: () => T | Promise<T>): Promise<T> {
    const { weather, outage } = this.plan;
    const now = this.now();
    const start = this.startedAt ?? now;
    if (service === 'Zuz' && outage && now >= start + outage.fromMs && now < start + outage.toMs) {
      this.count(call, 'outage');
      throw new UpstreamError(service, 503, `${call} answered 503 (outage)`);
    }
    const unanswered = this.plan.unanswered;
    if (unanswered?.call === call && now < this.firstCallAt(call, now) + unanswered.forMs) {
      if (unanswered.acts) await act();
      this.count(call, unanswered.acts ? 'failed-after' : 'failed-before');
      throw lost(service, call, true);
    }
    const random = this.stream(`fate:${call}`);
    const roll = random.next();
    const failBefore = weather === 'calm' ? 0 : 0.12;
    const failAfter = weather === 'calm' ? 0 : 0.1;
    const timeout = random.int(0, 1) === 0;
    if (roll < failBefore) {
      this.count(call, timeout ? 'timed-out' : 'failed-before');
      throw lost(service, call, timeout);
    }
    const result = await act();
    if (roll < failBefore + failAfter) {
      this.count(call, 'failed-after');
      throw lost(service, call, timeout);
    }
    this.count(call, 'answered');
    return result;
  }

  private readonly firstCalls = new Map<string, number>();

  /** The server-time window in which the plan's unanswered call lost every answer, once that call was made. */
  unansweredWindow(): { from: number; to: number } | undefined {
    const unanswered = this.plan.unanswered;
    const from = unanswered && this.firstCalls.get(unanswered.call);
    return unanswered && from !== undefined ? { from, to: from + unanswered.forMs } : undefined;
  }

  /** When the call was first made (its unanswered window runs from there). */
  private firstCallAt(call: string, now: number): number {
    if (!this.firstCalls.has(call)) this.firstCalls.set(call, now);
    return this.firstCalls.get(call)!;
  }

  /** Whether Zuz has decided every operation by this server time (nothing pending can still move money). */
  settledAt(at: number): boolean {
    return this.zuz.ledger(at).every((entry) => entry.status !== 'Pending');
  }

  /** Every ledger entry of the seed, as Zuz will show it once every pending operation has resolved. */
  settledLedger(): LedgerEntry[] {
    return this.zuz.ledger(Infinity);
  }
}

/** No answer (a timeout or a reset: UpstreamError without a status) or a 503: the same to the caller, a retry may help. */
function lost(service: 'Zuz' | 'PMS' | 'database', call: string, timeout: boolean): Error {
  if (service === 'database') return new Error(`database: ${call} lost the connection`);
  return new UpstreamError(service, timeout ? undefined : 503, `${call} ${timeout ? 'timed out' : 'answered 503'}`);
}

/** Zuz in the simulated world: PaymentsOS's transition rules (sandbox/simulators/zuz/transitions.ts, shared with the simulator) evaluated at a server time, with the seed's answers. */
export class SimulatedZuz {
  private readonly payments = new Map<string, Payment>();
  private readonly idempotent = new Map<string, { at: number; answer: unknown }>();
  private nextId = 1;

  constructor(private readonly world: SimulatedWorld) {}

  /** The payment ids this world created. */
  paymentIds(): string[] {
    return [...this.payments.keys()];
  }

  /** Every operation Zuz performed under a reconciliation id (a refund's key names its refund). */
  operationsFor(reconciliationId: string): ReadonlyArray<Readonly<Operation>> {
    return [...this.payments.values()].flatMap((payment) => payment.operations.filter((o) => o.reconciliationId === reconciliationId));
  }

  /** The operation of a kind Zuz performed first (the oracle's ground truth: what Zuz decided, and when). */
  firstOperation(kind: ZuzOperationKind): Readonly<Operation> | undefined {
    for (const payment of this.payments.values()) {
      const found = payment.operations.find((o) => o.kind === kind);
      if (found) return found;
    }
    return undefined;
  }

  async createPayment(
    input: { amount: number; currency: string; customerId: string; orderId: string },
    idempotencyKey: string,
  ): Promise<{ paymentId: string }> {
    return this.world.call('Zuz', 'createPayment', () =>
      this.once(idempotencyKey, () => {
        const id = `pay_${this.world.plan.seed}_${this.nextId++}`;
        this.payments.set(id, { id, amount: input.amount, currency: input.currency, operations: [] });
        return { paymentId: id };
      }),
    );
  }

  async createAuthorization(
    paymentId: string,
    input: { token: string; reconciliationId: string },
    idempotencyKey: string,
  ): Promise<ZuzOperationResult> {
    const { plan } = this.world;
    return this.world.call('Zuz', 'createAuthorization', () =>
      this.perform(idempotencyKey, paymentId, 'authorization', (payment, now) => {
        if (input.token !== tokenOf(plan.seed)) throw new UpstreamError('Zuz', 400, 'Unknown payment method token');
        if (plan.card === 'token-refused') throw new UpstreamError('Zuz', 400, 'The payment method token is not accepted');
        refuseUnlessAllowed(authorizationRefusal(ruledAt(payment, now)));
        const finalStatus: FinalStatus = plan.card === 'approve' ? 'Succeed' : 'Failed';
        return this.operation(
          payment,
          'authorization',
          payment.amount,
          input.reconciliationId,
          finalStatus,
          plan.authorizationPending,
          now,
        );
      }),
    );
  }

  async createCapture(paymentId: string, input: { amount: number; reconciliationId: string }, idempotencyKey: string) {
    return this.world.call('Zuz', 'createCapture', () =>
      this.perform(idempotencyKey, paymentId, 'capture', (payment, now) => {
        refuseUnlessAllowed(captureRefusal(ruledAt(payment, now), input.amount));
        const pending = this.world.stream('capture').int(0, 9) < 4;
        const finalStatus: FinalStatus = this.world.plan.captureSucceeds ? 'Succeed' : 'Failed';
        return this.operation(payment, 'capture', input.amount, input.reconciliationId, finalStatus, pending, now);
      }),
    );
  }

  async createVoid(paymentId: string, idempotencyKey: string): Promise<ZuzOperationResult> {
    return this.world.call('Zuz', 'createVoid', () =>
      this.perform(idempotencyKey, paymentId, 'void', (payment, now) => {
        refuseUnlessAllowed(voidRefusal(ruledAt(payment, now)));
        const random = this.world.stream('void');
        const finalStatus: FinalStatus = random.int(0, 49) === 0 ? 'Failed' : 'Succeed';
        const operation = this.operation(payment, 'void', payment.amount, undefined, finalStatus, random.int(0, 9) === 0, now);
        if (finalStatus === 'Failed') this.world.voidsFailedByZuz.add(operation.operationId);
        return operation;
      }),
    );
  }

  async createRefund(
    paymentId: string,
    input: { amount: number; reason: string; reconciliationId: string },
    idempotencyKey: string,
  ): Promise<ZuzOperationResult> {
    return this.world.call('Zuz', 'createRefund', () =>
      this.perform(idempotencyKey, paymentId, 'refund', (payment, now) => {
        refuseUnlessAllowed(refundRefusal(ruledAt(payment, now), input.amount));
        const random = this.world.stream('refund');
        const finalStatus: FinalStatus = random.int(0, 9) < 8 ? 'Succeed' : 'Failed';
        return this.operation(payment, 'refund', input.amount, input.reconciliationId, finalStatus, random.int(0, 9) < 4, now);
      }),
    );
  }

  /** A read of the payment; in rough weather now and then a stale one (as of a moment ago), as a lagging replica answers. */
  async readPayment(paymentId: string): Promise<ZuzPaymentState> {
    return this.world.call('Zuz', 'readPayment', () => {
      const payment = this.find(paymentId);
      const now = this.world.now();
      const random = this.world.stream('read');
      // After a capture whose answers were lost, a lagging read is the case that matters most: it hides the capture from the flow.
      const afterLostCapture = this.world.plan.unanswered?.call === 'createCapture';
      const stale = (this.world.plan.weather !== 'calm' || afterLostCapture) && random.int(0, afterLostCapture ? 1 : 4) === 0;
      const asOf = stale ? now - random.int(SECOND, afterLostCapture ? 3 * HOUR : 5 * MINUTE) : now;
      if (stale) this.world.count('readPayment', 'stale');
      const state: ZuzPaymentState = {};
      for (const operation of payment.operations) if (operation.createdAt <= asOf) state[operation.kind] = resultOf(operation, asOf);
      const refunds = payment.operations.filter((o) => o.kind === 'refund' && o.createdAt <= asOf);
      if (refunds.length) state.refunds = refunds.map((o) => ({ ...resultOf(o, asOf), reconciliationId: o.reconciliationId }));
      return state;
    });
  }

  /** Every operation as the ledger shows it at a server time. */
  ledger(at: number): LedgerEntry[] {
    return [...this.payments.values()].flatMap((payment) =>
      payment.operations.map((o) => ({
        paymentId: payment.id,
        ...(o.reconciliationId !== undefined && { reconciliationId: o.reconciliationId }),
        kind: o.kind,
        operationId: o.id,
        amount: o.amount,
        currency: o.currency,
        status: statusAt(o, at),
        at: new Date(o.createdAt).toISOString(),
      })),
    );
  }

  /**
   * The same idempotency key returns the first answer, as first given (even if the operation has
   * resolved since) — for a day, as PaymentsOS keeps keys: the same key later acts anew.
   */
  private once<T>(key: string, act: () => T): T {
    const now = this.world.now();
    const known = this.idempotent.get(key);
    if (known && now - known.at < IDEMPOTENCY_WINDOW_MS) return structuredClone(known.answer) as T;
    const answer = act();
    this.idempotent.set(key, { at: now, answer: structuredClone(answer) });
    return answer;
  }

  /** Performs the operation once per idempotency key; webhooks Zuz sends before its answer are delivered before this returns. */
  private async perform(
    key: string,
    paymentId: string,
    kind: ZuzOperationKind,
    act: (payment: Payment, now: number) => ZuzOperationResult,
  ): Promise<ZuzOperationResult> {
    const payment = this.find(paymentId);
    let answer: ZuzOperationResult;
    try {
      answer = this.once(key, () => act(payment, this.world.now()));
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 409) this.world.count(`create${capitalized(kind)}`, 'refused');
      throw err;
    }
    for (const { event, refundOf } of this.early.splice(0)) await this.world.outlet.deliverNow(event, refundOf);
    return answer;
  }

  private find(paymentId: string): Payment {
    const payment = this.payments.get(paymentId);
    if (!payment) throw new UpstreamError('Zuz', 404, `Payment ${paymentId} was not found`);
    return payment;
  }

  private operation(
    payment: Payment,
    kind: ZuzOperationKind,
    amount: number,
    reconciliationId: string | undefined,
    finalStatus: FinalStatus,
    pending: boolean,
    now: number,
  ): ZuzOperationResult {
    const operation: Operation = {
      id: `${kind.slice(0, 4)}_${this.world.plan.seed}_${this.nextId++}`,
      paymentId: payment.id,
      kind,
      amount,
      currency: payment.currency,
      reconciliationId,
      createdAt: now,
      firstStatus: pending ? 'Pending' : finalStatus,
      finalStatus,
      ...(pending && { resolvesAt: now + this.resolveDelay(kind) }),
    };
    payment.operations.push(operation);
    this.announce(operation);
    return resultOf(operation, now);
  }

  /** How long Zuz takes to decide: seconds, past the webhook grace period, into long polling, or (authorizations) past the flow's deadline. */
  private resolveDelay(kind: ZuzOperationKind): number {
    // Now and then past the flow's 3-day capture deadline: the flow ends failed, and the money is
    // the reconciliation's to put right. Drawn from its own stream, so other seeds keep their paths.
    if (kind === 'capture' && this.world.stream('late-capture').int(0, 11) === 0) {
      return CAPTURE_DEADLINE_MS + this.world.stream('late-capture').int(5 * HOUR, 4 * DAY);
    }
    const random = this.world.stream(`delay:${kind}`);
    const lengths: Array<readonly [() => number, number]> = [
      [() => random.int(SECOND, 25 * SECOND), 4],
      [() => random.int(30 * SECOND, 10 * MINUTE), 3],
      [() => random.int(10 * MINUTE, 110 * MINUTE), 2],
    ];
    // Past the 2 h authorization deadline, but inside the 7-day expiry (the flow watches until then).
    if (kind === 'authorization') lengths.push([() => random.int(130 * MINUTE, 6 * DAY), 1]);
    // Up to a day, like PaymentsOS's slowest captures, inside the flow's 3-day capture deadline.
    if (kind === 'capture') lengths.push([() => random.int(2 * HOUR, DAY), 1]);
    // Days, and now and then past the flow's 14-day refund deadline (the refund then ends pending).
    if (kind === 'refund') lengths.push([() => random.int(DAY, 10 * DAY), 1], [() => random.int(15 * DAY, 20 * DAY), 1]);
    return random.weighted(lengths)();
  }

  /**
   * The operation's webhooks: a `create` event with its first status and, for a Pending one, an
   * `update` with the final status. Each is sent 0-3 times, at its own delay: before the API
   * answer, at once, late (past the flow's waits) — so they arrive out of order too. A void's
   * webhooks never reach the workflow (they carry no reconciliation id; the API matches them
   * only once the outcome is recorded), so they are not sent here.
   */
  private announce(operation: Operation): void {
    if (operation.kind === 'void') return;
    const random = this.world.stream(`webhooks:${operation.kind}`);
    const refundOf = operation.kind === 'refund' ? operation.reconciliationId : undefined;
    const send = (event: ZuzEvent, from: number, mayPrecedeAnswer: boolean) => {
      const copies = random.weighted([
        [0, 1],
        [1, 5],
        [2, 2],
        [3, 1],
      ] as const);
      for (let copy = 0; copy < copies; copy++) {
        if (mayPrecedeAnswer && copy === 0 && random.int(0, 5) === 0) {
          this.early.push({ event, refundOf });
          continue;
        }
        const delay = random.weighted([
          [random.int(0, 2 * SECOND), 3],
          [random.int(2 * SECOND, MINUTE), 3],
          [random.int(MINUTE, 3 * HOUR), 2],
          [random.int(3 * HOUR, 8 * DAY), 1],
        ] as const);
        this.world.outlet.deliverAt(from + delay, event, refundOf);
      }
    };
    const event = (status: ZuzOperationStatus, phase: string): ZuzEvent => ({
      ...resultOf(operation, Infinity),
      status,
      eventId: `evt_${operation.id}_${phase}`,
      paymentId: operation.paymentId,
    });
    send(event(operation.firstStatus, 'create'), operation.createdAt, true);
    if (operation.resolvesAt !== undefined) send(event(operation.finalStatus, 'update'), operation.resolvesAt, false);
  }

  /** Webhooks Zuz sends before its API answer: the calling activity delivers them before it returns. */
  private readonly early: Array<{ event: ZuzEvent; refundOf?: string }> = [];
}

export class SimulatedPms {
  constructor(private readonly world: SimulatedWorld) {}

  /** As PMS: the plan's card belongs to its merchant's customer only; anyone else's lookup finds nothing. */
  async findPaymentMethod(merchantId: string, customerId: string, paymentMethodId: string): Promise<SavedCard | undefined> {
    const { plan } = this.world;
    const owner = plan.request.merchantId ?? DEFAULT_MERCHANT_ID;
    return this.world.call('PMS', 'findPaymentMethod', () => {
      if (
        merchantId !== owner ||
        customerId !== plan.request.customerId ||
        paymentMethodId !== plan.request.paymentMethodId ||
        plan.card === 'not-found'
      )
        return undefined;
      return { status: plan.card === 'expired' ? 'expired' : 'active', token: tokenOf(plan.seed) };
    });
  }
}

/** The transaction's database row, as src/transaction/record.ts keeps it: claimed once, bound to one run, finalized once. */
export class SimulatedRecord {
  runId?: string;
  accountId?: string;
  finalized?: Omit<TransactionView, 'steps'>;
  finalizeCalls = 0;
  /** The authorized amount the flow noted for the merchant (noteAuthorized, flow v9), once. */
  authorizedNoted?: number;

  constructor(private readonly world: SimulatedWorld) {}

  async bind(runId: string): Promise<boolean> {
    return this.world.call('database', 'recordTransaction', () => {
      if (this.runId !== undefined && this.runId !== runId) return false;
      this.runId = runId;
      return true;
    });
  }

  async assignAccount(): Promise<string> {
    return this.world.call(
      'database',
      'assignAccountId',
      () => (this.accountId ??= `acct_${this.world.plan.request.merchantId ?? DEFAULT_MERCHANT_ID}_${this.world.plan.request.customerId}`),
    );
  }

  async screen() {
    return this.world.call('database', 'screenTransaction', () =>
      this.world.plan.riskCleared
        ? { cleared: true as const }
        : { cleared: false as const, reason: 'More than 30 transactions in the last hour' },
    );
  }

  /** As the record's noteAuthorized: written once, never after the outcome. */
  async noteAuthorized(amount: number): Promise<void> {
    return this.world.call('database', 'noteAuthorized', () => {
      if (!this.finalized) this.authorizedNoted ??= amount;
    });
  }

  async finalize(view: TransactionView): Promise<void> {
    return this.world.call('database', 'finalizeTransaction', () => {
      this.finalizeCalls++;
      if (this.finalized) return;
      const { steps: _steps, ...recorded } = view;
      this.finalized = structuredClone(recorded);
    });
  }
}

function tokenOf(seed: number): string {
  return `tok_${seed}`;
}

function statusAt(operation: Operation, at: number): ZuzOperationStatus {
  return operation.resolvesAt === undefined || at >= operation.resolvesAt ? operation.finalStatus : operation.firstStatus;
}

function resultOf(operation: Operation, at: number): ZuzOperationResult {
  const status = statusAt(operation, at);
  return {
    kind: operation.kind,
    operationId: operation.id,
    status,
    amount: operation.amount,
    responseCode: status === 'Succeed' ? '0' : status === 'Failed' ? '102' : undefined,
    description: status === 'Succeed' ? 'APPROVED' : status === 'Failed' ? 'DECLINED' : 'PENDING',
  };
}

/** A refusal by PaymentsOS's rules is Zuz's 409. */
function refuseUnlessAllowed(refusal: string | undefined): void {
  if (refusal !== undefined) throw new UpstreamError('Zuz', 409, refusal);
}

/** The payment as PaymentsOS's rules (the Zuz simulator's, one definition) read it at a server time. */
function ruledAt(payment: Payment, now: number): RuledPayment {
  const transactions: RuledPayment['transactions'] = { authorization: [], capture: [], void: [], refund: [] };
  for (const o of payment.operations) transactions[o.kind].push({ id: o.id, amount: o.amount, result: { status: statusAt(o, now) } });
  return { transactions };
}

function capitalized(kind: string): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

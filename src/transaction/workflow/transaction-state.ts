/**
 * The workflow's memory of one transaction: what the query shows, the step journal, and the
 * inbox of Zuz results (webhooks may arrive before the flow waits for them, twice, or out of
 * order; the inbox keeps the first final answer per operation and ignores the rest).
 * It is the only owner of that memory: the flow and the handlers read it through getters and
 * change it only through the methods below, each named after what happened to the transaction.
 */
import { log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type {
  Failure,
  ReleaseOutcome,
  StepRecord,
  TransactionRequest,
  TransactionStatus,
  TransactionView,
  ZuzEvent,
  ZuzOperationKind,
  ZuzOperationResult,
} from '../model';
import { formatMoney } from '../model';
import { transactionStatusKey } from '../search-attributes';
import { transactionKey } from '../../merchants/model';
import { recordStep } from './metrics';
import { ZuzInbox } from '../../workflows/zuz-inbox';

/** The client's word on a held authorization (manual capture, or cancel). */
export type ClientDecision = { action: 'capture'; amount?: number } | { action: 'cancel' };

/** The ids of the transaction's operations at Zuz, by the view's field names. */
type ZuzIds = TransactionView['zuz'];
const ID_OF: Record<ZuzOperationKind, keyof ZuzIds> = {
  authorization: 'authorizationId',
  capture: 'captureId',
  void: 'voidId',
  refund: 'refundId',
};

export class TransactionState {
  #status: TransactionStatus = 'processing';
  #accountId?: string;
  #authorizedAmount = 0;
  #capturedAmount = 0;
  #failure?: Failure;
  #release?: ReleaseOutcome;
  #decision?: ClientDecision;
  readonly #zuz: ZuzIds = {};
  readonly #steps: StepRecord[] = [];
  /** How many times each step has run: a rerun's journal name carries its ordinal (`rereadAuthorizationFate#2`). */
  readonly #runsOf = new Map<string, number>();

  /** A transaction has one operation of each kind at Zuz. */
  readonly #inbox = new ZuzInbox((result) => result.kind);

  constructor(readonly request: TransactionRequest) {}

  /** The transaction's name across merchants: what names it to the database and to Zuz. */
  get key(): string {
    return transactionKey(this.request.merchantId, this.request.transactionId);
  }

  get status(): TransactionStatus {
    return this.#status;
  }

  get accountId(): string | undefined {
    return this.#accountId;
  }

  get authorizedAmount(): number {
    return this.#authorizedAmount;
  }

  get capturedAmount(): number {
    return this.#capturedAmount;
  }

  get failure(): Readonly<Failure> | undefined {
    return this.#failure;
  }

  get decision(): Readonly<ClientDecision> | undefined {
    return this.#decision;
  }

  get zuz(): Readonly<ZuzIds> {
    return this.#zuz;
  }

  /**
   * Runs one named step and journals it: started, completed or failed, and the branch it took.
   * Step names are the journal's keys, unique in the execution: the first run of a step has its
   * name, each rerun (a read of the payment repeated until it shows what the flow waits for) the
   * name with its ordinal, `#2`, `#3`. The metric counts them under the step's own name.
   * `activity`: the activity the step runs, when its name differs (so its attempts can be found).
   */
  async step<T>(step: string, run: () => Promise<T>, branchOf?: (result: T) => string, activity?: string): Promise<T> {
    const ordinal = (this.#runsOf.get(step) ?? 0) + 1;
    this.#runsOf.set(step, ordinal);
    const name = ordinal === 1 ? step : `${step}#${ordinal}`;
    const runs = activity ?? (ordinal === 1 ? undefined : step);
    const startedAt = Date.now();
    const record: StepRecord = {
      name,
      state: 'running',
      startedAt: new Date(startedAt).toISOString(),
      historyFrom: workflowInfo().historyLength,
      ...(runs !== undefined && { activity: runs }),
    };
    this.#steps.push(record);
    this.#showWhereItStands(`${name} running`);
    try {
      const result = await run();
      record.state = 'completed';
      record.branch = branchOf?.(result);
      return result;
    } catch (err) {
      record.state = 'failed';
      throw err;
    } finally {
      record.endedAt = now();
      // A step that ends beside another (noteAuthorized beside the capture's wait) leaves the one still running shown.
      const stillRunning = [...this.#steps].reverse().find((s) => s.state === 'running');
      this.#showWhereItStands(stillRunning ? `${stillRunning.name} running` : `${name} ${record.state}`);
      const durationMs = Date.now() - startedAt;
      recordStep({ ...record, name: step }, durationMs);
      log.info(`Step ${name} ${record.state}`, { step: name, state: record.state, branch: record.branch, durationMs });
    }
  }

  /** The Web UI's "current details" of the workflow: the status, and what the flow is doing. */
  #showWhereItStands(doing?: string): void {
    const { amount, currency } = this.request;
    setCurrentDetails(`**${this.#status}** · ${formatMoney(amount, currency)}${doing ? ` · ${doing}` : ''}`);
  }

  /** A read of the payment made while waiting for Zuz: counted on the step that waits, with what it saw. */
  notePoll(seen: string): void {
    const waiting = [...this.#steps].reverse().find((s) => s.state === 'running');
    if (!waiting) return;
    waiting.polls = (waiting.polls ?? 0) + 1;
    waiting.lastPoll = seen;
  }

  /** Every status change is also written to the transaction's search attribute, which the list reads. */
  moveTo(status: TransactionStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    upsertSearchAttributes([{ key: transactionStatusKey, value: status }]);
    this.#showWhereItStands();
  }

  fail(status: 'declined' | 'failed' | 'cancelled', failure: Failure): void {
    this.#failure = failure;
    this.moveTo(status);
  }

  assignAccount(accountId: string): void {
    this.#accountId = accountId;
  }

  /** The payment the authorization is asked on exists at Zuz (opened in a step of its own). */
  openedPayment(paymentId: string): void {
    this.#zuz.paymentId = paymentId;
  }

  /** Zuz took the authorization request: the payment it belongs to, and Zuz's first answer on it. */
  authorizationSent(created: { paymentId: string; authorization: ZuzOperationResult }): void {
    this.openedPayment(created.paymentId);
    this.operationReported(created.authorization);
  }

  /**
   * Zuz reported one of the transaction's operations: its answer to a request, or what a read of
   * the payment shows. The operation's id becomes the transaction's, and its result goes to the inbox.
   */
  operationReported(operation: ZuzOperationResult): void {
    this.#zuz[ID_OF[operation.kind]] = operation.operationId;
    this.record(operation);
  }

  /** Zuz holds this much of the customer's money for the transaction. */
  authorized(amount: number): void {
    this.#authorizedAmount = amount;
  }

  clientDecided(decision: ClientDecision): void {
    this.#decision = decision;
  }

  /** The customer was charged: the transaction succeeded. */
  captured(amount: number): void {
    this.#capturedAmount = amount;
    this.moveTo('succeeded');
  }

  /** A capture the flow had given up on turned out to have landed (before v4 the transaction had been failed already). */
  capturedAfterAll(amount: number): void {
    this.#failure = undefined;
    this.captured(amount);
  }

  /** How releasing the held money ended (the void's outcome). */
  releaseEnded(outcome: ReleaseOutcome): void {
    this.#release = outcome;
  }

  /** Takes a webhook into the inbox. Returns false for a duplicate or a stale (non-final after final) event. */
  acceptEvent(event: ZuzEvent): boolean {
    if (!this.#inbox.firstSight(event.eventId)) {
      log.info('Duplicate Zuz event ignored', { eventId: event.eventId });
      return false;
    }
    if (this.#zuz.paymentId && event.paymentId !== this.#zuz.paymentId) {
      log.warn('Zuz event for another payment ignored', { eventId: event.eventId });
      return false;
    }
    return this.record(event);
  }

  /** Records a result from any source (API answer, webhook, poll); a final answer is never overwritten. */
  record(result: ZuzOperationResult): boolean {
    return this.#inbox.record(result);
  }

  /** The final answer for an operation, once there is one. */
  finalResult(kind: ZuzOperationKind, operationId?: string): ZuzOperationResult | undefined {
    const result = this.#inbox.final(kind);
    if (operationId && result?.operationId !== operationId) return undefined;
    return result;
  }

  view(): TransactionView {
    const { transactionId, merchantId, customerId, amount, currency, capture } = this.request;
    return {
      transactionId,
      ...(merchantId !== undefined && { merchantId }),
      customerId,
      status: this.#status,
      amount,
      currency,
      capture,
      authorizedAmount: this.#authorizedAmount,
      capturedAmount: this.#capturedAmount,
      accountId: this.#accountId,
      zuz: { ...this.#zuz },
      failure: this.#failure,
      release: this.#release,
      steps: this.#steps.map((s) => ({ ...s })),
    };
  }
}

/** Workflow time, which is deterministic on replay. */
function now(): string {
  return new Date(Date.now()).toISOString();
}

/**
 * The transaction as the rest of the service sees it: plain TypeScript types shared by the API,
 * the workflow and the activities. (The API validates requests into these with zod; the
 * workflow bundle must stay free of zod, so nothing here imports it.)
 */

/**
 * The lists below are the one definition of each set of values: the types are derived from them,
 * and so are the API's zod enums (src/api/schemas.ts, response-schemas.ts).
 */
export const CAPTURE_MODES = ['auto', 'manual'] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

/** What a client asks for in `POST /v1/transactions`. */
export interface TransactionRequest {
  /** The merchant's own id for the transaction: unique per merchant (see ./merchant.ts). */
  transactionId: string;
  /** Whose transaction it is: set by the API from the caller's key, never from the body. Absent: made before merchants existed. */
  merchantId?: string;
  customerId: string;
  paymentMethodId: string;
  /** Integer minor units (cents), > 0. */
  amount: number;
  /** ISO 4217, upper case. */
  currency: string;
  capture: CaptureMode;
  description?: string;
}

/** `releasing`: a capture failed or was lost and the authorization is being released; the outcome is not final yet. */
export const RUNNING_STATUSES = ['processing', 'authorized', 'capturing', 'releasing'] as const;
export const TERMINAL_STATUSES = ['succeeded', 'declined', 'failed', 'cancelled'] as const;
export const TRANSACTION_STATUSES = [...RUNNING_STATUSES, ...TERMINAL_STATUSES] as const;
export type RunningStatus = (typeof RUNNING_STATUSES)[number];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

export function isTransactionStatus(value: string): value is TransactionStatus {
  return (TRANSACTION_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: TransactionStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** Machine-readable reasons a transaction did not succeed. */
export const FAILURE_CODES = [
  'payment_method_not_found',
  'payment_method_unusable',
  'authorization_declined',
  'risk_rejected',
  'provider_unavailable',
  'authorization_timeout',
  'capture_failed',
  'cancelled_by_client',
  'authorization_expired',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/**
 * `released`: Zuz voided the authorization. `release_pending`: Zuz took the void but had not
 * finished it (the daily reconciliation follows it up). `release_failed`: Zuz would not void, so
 * the money stays held until the authorization expires — an operator is alerted (metric).
 */
export type ReleaseOutcome = 'released' | 'release_pending' | 'release_failed';

export interface Failure {
  code: FailureCode;
  message: string;
}

/** The Zuz operations a transaction performs; each is reported by webhook and by polling. */
export type ZuzOperationKind = 'authorization' | 'capture' | 'void' | 'refund';
export type ZuzOperationStatus = 'Pending' | 'Succeed' | 'Failed';

/** What Zuz said about one operation: from an API answer, a webhook or a poll. No card data. */
export interface ZuzOperationResult {
  kind: ZuzOperationKind;
  operationId: string;
  status: ZuzOperationStatus;
  amount: number;
  responseCode?: string;
  /** What Zuz answered, in words made from the fields Zuz signs only (src/zuz/results.ts): what a merchant may be shown. */
  description?: string;
  /** Zuz's own free text: unsigned (anyone replaying a genuine event can change it), capped; never shown to merchants or decided on. */
  providerMessage?: string;
}

/** A refund as Zuz lists it on the payment: with the reconciliation id it was asked with, which names whose refund it is. */
export interface ZuzRefundResult extends ZuzOperationResult {
  reconciliationId?: string;
}

/** A webhook event, as the API hands it to the workflow. */
export interface ZuzEvent extends ZuzOperationResult {
  eventId: string;
  paymentId: string;
}

export type StepState = 'running' | 'completed' | 'failed';

/** One entry of the step journal: what the API shows of each step. */
export interface StepRecord {
  name: string;
  state: StepState;
  startedAt: string;
  endedAt?: string;
  /** Which way the step went, in a word: e.g. `approved`, `pending`, `webhook`, `polled`. */
  branch?: string;
  /** The activity the step runs, when its name is not the activity's own (the API reads its attempts from history). */
  activity?: string;
  /** The history's length when the step started: its activity is the first of its type scheduled after it. */
  historyFrom?: number;
  /** A step that waits for Zuz: how many times it read the payment, and what the last read said. */
  polls?: number;
  lastPoll?: string;
}

/** The transaction's live state, as the workflow reports it. */
export interface TransactionView {
  transactionId: string;
  merchantId?: string;
  customerId: string;
  status: TransactionStatus;
  amount: number;
  currency: string;
  capture: CaptureMode;
  authorizedAmount: number;
  capturedAmount: number;
  accountId?: string;
  zuz: { paymentId?: string; authorizationId?: string; captureId?: string; voidId?: string; refundId?: string };
  failure?: Failure;
  /** How releasing the held money ended, when the flow had to release it (a void). */
  release?: ReleaseOutcome;
  steps: StepRecord[];
}

/** The workflow id is the business id (the transaction's key, ./merchant.ts): one workflow per transaction, ever. */
export function workflowIdFor(transactionKey: string): string {
  return `transaction-${transactionKey}`;
}

/** An amount as people read it: minor units in the currency's own decimals (12.50 EUR, 1250 JPY). */
export function formatMoney(amount: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency}`;
}

/** Building an Intl.NumberFormat costs more than the whole rest of a status update, and the flow formats on every one: once per currency. */
const digitsByCurrency = new Map<string, number>();

function minorUnitDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

/** A duration as people read it, for summaries: 30 s, 15 min, 2 h, 7 days. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

/**
 * Which ways through the flow the seeds took: every step's branch as the step journal records it
 * (`name:branch`, or `name:failed` for a step that threw), and every outcome (status, failure
 * code, release). This measures the journal, not lines of code: it names each decision the flow
 * makes in a step, which is what a schedule can reach or miss.
 */
import type { TransactionView } from '../../src/transaction/model';

/** The refunds of a succeeded transaction: how the record answered each request, and how each refund ended. */
const REFUND_BRANCHES: readonly string[] = [
  'refundRequest:reserved',
  'refundRequest:repeat',
  'refundRequest:repeat-after-zuz-forgot',
  'refundRequest:conflict',
  'refundRequest:exceeds',
  'refund:succeeded',
  'refund:failed',
  'refund:pending',
];

/** What the daily reconciliation found and did (src/reconciliation/activities.ts): the outcomes that move or settle money. */
const RECONCILIATION_BRANCHES: readonly string[] = [
  'reconciliation:captured_after_failure:refunded',
  'reconciliation:captured_after_failure:refund_pending',
  'reconciliation:captured_after_failure:refund_refused',
  'reconciliation:refund_pending:reported',
  'reconciliation:authorization_held:voided',
  'reconciliation:authorization_held:release_pending',
  'reconciliation:capture_pending:reported',
  'reconciliation:refund_unsettled:refund_succeeded',
  'reconciliation:refund_unsettled:refund_failed',
  'reconciliation:refund_unsettled:refund_pending',
];

/**
 * Every journal branch the flow's code can take in a run that ends (src/workflows/), so the report can
 * name the unreached. A step whose failure ends the workflow (e.g. recordTransaction's) is not here:
 * such a run has no result to count, and the invariants call it a violation (no workflow result).
 */
export const FLOW_BRANCHES: readonly string[] = [
  'screenTransaction:cleared',
  'screenTransaction:rejected',
  'createPayment:completed',
  'createPayment:failed',
  'createAuthorization:succeed',
  'createAuthorization:failed',
  'createAuthorization:pending',
  'createAuthorization:failed-step',
  'awaitAuthorizationResult:answer',
  'awaitAuthorizationResult:webhook',
  'awaitAuthorizationResult:polling',
  'awaitAuthorizationResult:deadline',
  'readAuthorizationFate:none',
  'readAuthorizationFate:succeed',
  'readAuthorizationFate:failed',
  'readAuthorizationFate:pending',
  'rereadAuthorizationFate:none',
  'rereadAuthorizationFate:succeed',
  'rereadAuthorizationFate:failed',
  'rereadAuthorizationFate:pending',
  'awaitLateAuthorizationResult:answer',
  'awaitLateAuthorizationResult:webhook',
  'awaitLateAuthorizationResult:polling',
  'awaitLateAuthorizationResult:deadline',
  'awaitCaptureRequest:capture',
  'awaitCaptureRequest:cancel',
  'awaitCaptureRequest:expired',
  'capturePayment:succeed',
  'capturePayment:failed',
  'capturePayment:pending',
  'capturePayment:fate-unknown',
  'awaitCaptureResult:answer',
  'awaitCaptureResult:webhook',
  'awaitCaptureResult:polling',
  'awaitCaptureResult:deadline',
  'voidAuthorization:succeed',
  'voidAuthorization:pending',
  'voidAuthorization:failed',
  'voidAuthorization:failed-step',
  'readPaymentAfterRefusedVoid:voided',
  'readPaymentAfterRefusedVoid:capture-succeed',
  'readPaymentAfterRefusedVoid:capture-failed',
  'readPaymentAfterRefusedVoid:capture-pending',
  'readPaymentAfterRefusedVoid:unexplained',
  'rereadPaymentAfterRefusedVoid:voided',
  'rereadPaymentAfterRefusedVoid:unexplained',
  'rereadPaymentAfterRefusedVoid:capture-succeed',
  'rereadPaymentAfterRefusedVoid:capture-failed',
  'rereadPaymentAfterRefusedVoid:capture-pending',
  'awaitLateCaptureResult:answer',
  'awaitLateCaptureResult:webhook',
  'awaitLateCaptureResult:polling',
  'awaitLateCaptureResult:deadline',
  'voidAuthorizationAgain:succeed',
  'voidAuthorizationAgain:pending',
  'voidAuthorizationAgain:failed',
  'voidAuthorizationAgain:failed-step',
  ...REFUND_BRANCHES,
  ...RECONCILIATION_BRANCHES,
];

/** The refund branches of one seed (none unless its transaction succeeded and its merchant asked). */
export function refundBranchesOf(run: {
  refundAttempts: ReadonlyArray<{ answer: string; atMs: number; step: { refundId: string } }>;
  recordedRefunds: ReadonlyArray<{ status: string }>;
}): string[] {
  const firstAsked = new Map<string, number>();
  const requests = run.refundAttempts.map((attempt) => {
    const first = firstAsked.get(attempt.step.refundId);
    if (first === undefined) firstAsked.set(attempt.step.refundId, attempt.atMs);
    const late = attempt.answer === 'repeat' && first !== undefined && attempt.atMs - first > 24 * 60 * 60 * 1000;
    return `refundRequest:${late ? 'repeat-after-zuz-forgot' : attempt.answer}`;
  });
  return [...requests, ...run.recordedRefunds.map((refund) => `refund:${refund.status}`)];
}

/** The reconciliation's findings on one seed, each kind and outcome once. */
export function reconciliationBranchesOf(run: {
  reconciliation: ReadonlyArray<{ found: ReadonlyArray<{ kind: string; outcome: string }> }>;
}): string[] {
  return [...new Set(run.reconciliation.flatMap((day) => day.found.map((f) => `reconciliation:${f.kind}:${f.outcome}`)))];
}

/** The journal branches of one run: a step that threw counts as `name:failed-step` (createPayment's only branch is `completed`). */
export function branchesOf(view: TransactionView | undefined): string[] {
  return (view?.steps ?? [])
    .filter((step) => step.state !== 'running')
    .map((step) => {
      // A step run again is journaled with its ordinal (rereadAuthorizationFate#2): the same branches.
      const name = step.name.replace(/#\d+$/, '');
      return step.state === 'failed'
        ? `${name}:${name === 'createPayment' ? 'failed' : 'failed-step'}`
        : `${name}:${step.branch ?? 'completed'}`;
    });
}

export function outcomeOf(view: TransactionView | undefined): string {
  if (!view) return 'unfinished';
  return [view.status, view.failure?.code, view.release].filter(Boolean).join('/');
}

export class CoverageTally {
  readonly branches = new Map<string, number>();
  readonly outcomes = new Map<string, number>();

  add(branches: readonly string[], outcome: string): void {
    for (const branch of new Set(branches)) this.branches.set(branch, (this.branches.get(branch) ?? 0) + 1);
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  merge(other: { branches: Record<string, number>; outcomes: Record<string, number> }): void {
    for (const [branch, count] of Object.entries(other.branches)) this.branches.set(branch, (this.branches.get(branch) ?? 0) + count);
    for (const [outcome, count] of Object.entries(other.outcomes)) this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + count);
  }

  toJSON() {
    return { branches: Object.fromEntries(this.branches), outcomes: Object.fromEntries(this.outcomes) };
  }

  /** Reached journal branches of the flow's list, and the ones no seed reached. */
  summary(): { reached: number; of: number; unreached: string[]; unlisted: string[] } {
    const unreached = FLOW_BRANCHES.filter((branch) => !this.branches.has(branch));
    const unlisted = [...this.branches.keys()].filter((branch) => !FLOW_BRANCHES.includes(branch) && !isBookkeeping(branch));
    return { reached: FLOW_BRANCHES.length - unreached.length, of: FLOW_BRANCHES.length, unreached, unlisted };
  }
}

/** Steps with one way through (the database's): counted, but not branches. */
function isBookkeeping(branch: string): boolean {
  return /^(recordTransaction|assignAccountId|noteAuthorized|finalizeTransaction):completed$/.test(branch);
}

/**
 * A seed's verdict: the chaos suite's invariants (one implementation, tools/invariants/) over the
 * evidence the simulation holds — the workflow's result and its query, the published statuses,
 * the record, and the world's ledger once every pending operation has resolved — plus what only a
 * simulation can check: no workflow task ever failed, and the history replays on a fresh worker.
 *
 * The expected outcome is an oracle: from what the world decided (the card, the risk verdict,
 * Zuz's answers and when they came) and what the till's requests got (accepted or not), the one
 * terminal state the flow must reach.
 */
import type { InvariantResult, Violation } from '../invariants/types';
import type { ExpectedOutcome, TransactionEvidence } from '../invariants/types';
import { checkLedgerMoneySafe } from '../invariants/ledger-money-safe';
import { checkOutcomeAsExpected } from '../invariants/outcome-as-expected';
import { checkRecordsAgree } from '../invariants/records-agree';
import { checkStatusesFinal } from '../invariants/statuses-final';
import { checkTerminalWithinDeadline } from '../invariants/terminal-within-deadline';
import { AUTHORIZATION_EXPIRY_MS } from './plan';
import { CAPTURE_DEADLINE_MS } from './world';
import { checkNothingLeftAfterReconciliation, checkRefundOnceAtZuz, checkRefundsWithinCapture } from '../invariants/refunds';
import { transactionKey } from '../../src/merchants/model';
import { refundKey } from '../../src/refund/model';
import type { SeedRun } from './runner';

/** The flow's authorization deadline (src/workflows/options.ts); a decision this close to it may land either side. */
const AUTHORIZATION_DEADLINE_MS = 2 * 60 * 60 * 1000;
const DEADLINE_RACE_MS = 10 * 60 * 1000;
const GIVE_UP_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

export interface SeedVerdict {
  seed: number;
  violations: Array<Violation & { invariant: string }>;
  expected?: ExpectedOutcome;
}

export function judge(run: SeedRun): SeedVerdict {
  const evidence = evidenceOf(run);
  // Zuz down, or one call's answers lost for a while: to the flow both are Zuz unreachable, and giving up then is by design.
  const unanswered = run.world.unansweredWindow();
  const outages = [
    ...(run.plan.outage ? [{ from: run.startedAt + run.plan.outage.fromMs, to: run.startedAt + run.plan.outage.toMs }] : []),
    ...(unanswered ? [unanswered] : []),
  ];
  const results: InvariantResult[] = [
    checkTerminalWithinDeadline([evidence]),
    checkLedgerMoneySafe([evidence], (entry) => run.world.voidsFailedByZuz.has(entry.operationId)),
    checkRecordsAgree([evidence]),
    checkStatusesFinal([evidence]),
    ...(evidence.run.plan.expected.status !== undefined ? [checkOutcomeAsExpected([evidence], AUTHORIZATION_EXPIRY_MS, outages)] : []),
    simulationOnly(run),
    checkRefundsWithinCapture([evidence]),
    checkRefundOnceAtZuz([evidence]),
    refundsAsZuzDecided(run),
    checkNothingLeftAfterReconciliation([evidence]),
    reconciliationSettles(run),
  ];
  return {
    seed: run.plan.seed,
    violations: results.flatMap((result) => result.violations.map((violation) => ({ ...violation, invariant: result.name }))),
    expected: expectedOutcome(run),
  };
}

function simulationOnly(run: SeedRun): InvariantResult {
  const violations: Violation[] = [];
  const transactionId = run.plan.request.transactionId;
  for (const failure of run.workflowTaskFailures) violations.push({ transactionId, why: `a workflow task failed: ${failure}` });
  if (run.replayFailure) violations.push({ transactionId, why: `the history does not replay on a fresh worker: ${run.replayFailure}` });
  if (run.world.record.finalizeCalls === 0 && run.view) violations.push({ transactionId, why: 'finished without recording its outcome' });
  if (run.claim !== 'new')
    violations.push({ transactionId, why: `the record took the request as ${run.claim}: another transaction holds its row` });
  return { name: 'replays-and-records', description: 'no workflow task failed; the history replays; the outcome was recorded', violations };
}

/**
 * reconciliation-settles (the simulation's own): once Zuz has decided everything and every webhook
 * has arrived, a day's run of the reconciliation finds nothing left to do on the transaction —
 * within the days the simulation gives it — and no day's run failed on it for good.
 */
function reconciliationSettles(run: SeedRun): InvariantResult {
  const violations: Violation[] = [];
  const transactionId = run.plan.request.transactionId;
  const last = run.reconciliation[run.reconciliation.length - 1];
  if (!run.afterReconciliation?.settled)
    violations.push({
      transactionId,
      why: `after ${run.reconciliation.length} daily runs the reconciliation still finds ${JSON.stringify(last?.found ?? [])}${last && !last.completed ? ' (its last run failed)' : ''}`,
    });
  return {
    name: 'reconciliation-settles',
    description: 'the daily reconciliation comes to rest on every transaction once Zuz has decided everything',
    violations,
  };
}

/** The flow's refund deadline (src/workflows/options.ts): a refund Zuz decides later ends pending, for the reconciliation. */
const REFUND_DEADLINE_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * refunds-as-zuz-decided (the simulation's own; the chaos suite judges the same after its
 * reconciliation): each refund the record holds ended as Zuz decided it — succeeded only if Zuz
 * succeeded it, failed only if Zuz failed it or never performed it, and pending only if Zuz
 * decided after the deadline (or the flow's reads lagged behind its decision).
 */
function refundsAsZuzDecided(run: SeedRun): InvariantResult {
  const violations: Violation[] = [];
  const key = transactionKey(run.plan.request.merchantId, run.plan.request.transactionId);
  const readsLagged = (run.world.fates.get('readPayment:stale') ?? 0) > 0;
  for (const refund of run.recordedRefunds) {
    const performed = run.world.zuz.operationsFor(refundKey(key, refund.refundId));
    const last = performed[performed.length - 1];
    const decidedLate = last?.resolvesAt !== undefined && last.resolvesAt - last.createdAt >= REFUND_DEADLINE_MS - DEADLINE_RACE_MS;
    const agrees =
      (refund.status === 'succeeded' && last?.finalStatus === 'Succeed') ||
      (refund.status === 'failed' && (last === undefined || last.finalStatus === 'Failed')) ||
      (refund.status === 'pending' && last !== undefined && (decidedLate || readsLagged));
    if (!agrees)
      violations.push({
        transactionId: run.plan.request.transactionId,
        why: `refund ${refund.refundId} is ${refund.status} in the record; Zuz ${last ? `decided ${last.finalStatus}${last.resolvesAt !== undefined ? ` after ${Math.round((last.resolvesAt - last.createdAt) / 60_000)} min` : ' at once'}` : 'never performed it'}`,
      });
  }
  return {
    name: 'refunds-as-zuz-decided',
    description: 'each refund in the record ended as Zuz decided it (pending only when Zuz decided after the deadline)',
    violations,
  };
}

function evidenceOf(run: SeedRun): TransactionEvidence {
  const { plan, world } = run;
  const record = world.record.finalized;
  const expected = expectedOutcome(run);
  return {
    run: {
      // An outcome the oracle cannot call (a decision racing the deadline) is checked by the other invariants only.
      plan: {
        transactionId: plan.request.transactionId,
        transactionKey: transactionKey(plan.request.merchantId, plan.request.transactionId),
        kind: plan.kind,
        expected: expected ?? ({} as ExpectedOutcome),
        action: { type: 'none' },
      },
      startedAt: run.startedAt,
      deadlineAt: run.startedAt + GIVE_UP_AFTER_MS,
      terminalAt: run.view ? run.finishedAt : undefined,
      lastView: run.queried,
      observedStatuses: run.published,
      problem: run.error,
      // A repeat of a refund that may have reached Zuz must start nothing (refund-once-at-zuz).
      refundRepeats: run.refundAttempts
        .filter((attempt) => attempt.answer === 'repeat')
        .map((attempt) => ({
          refundId: attempt.step.refundId,
          httpStatus: 200,
          statusBefore: attempt.before,
          workflowAfter: attempt.started ? ('started' as const) : ('none' as const),
        })),
    },
    workflowResult: run.view,
    workflowError: run.error,
    apiView: run.queried,
    row: record && {
      status: record.status,
      capturedAmount: record.capturedAmount,
      authorizedAmount: record.authorizedAmount,
      zuzPaymentId: record.zuz.paymentId ?? null,
      failureCode: record.failure?.code ?? null,
      refundedAmount: run.afterReconciliation?.refundedAmount,
    },
    paymentIds: world.zuz.paymentIds(),
    ledger: world.settledLedger(),
    // As the record holds them once the reconciliation has settled what their workflows left pending.
    refunds: (run.afterReconciliation?.refunds ?? run.recordedRefunds).map(({ refundId, amount, status }) => ({
      refundId,
      amount,
      status,
    })),
  };
}

/** The flow gave up on an authorization Zuz took: failed with `code`, and whatever Zuz approved is released. */
function gaveUpOnAuthorization(
  code: 'provider_unavailable' | 'authorization_timeout',
  authorization: { finalStatus?: string },
): ExpectedOutcome {
  const held = authorization.finalStatus === 'Succeed';
  return { status: 'failed', failureCode: code, capturedAmount: 0, money: held ? 'voided' : 'never-authorized' };
}

/** The terminal state the flow owes this world, or undefined when a decision raced a deadline (either side is right). */
export function expectedOutcome(run: SeedRun): ExpectedOutcome | undefined {
  const { plan, world } = run;
  if (!plan.riskCleared) return { status: 'declined', failureCode: 'risk_rejected', capturedAmount: 0, money: 'never-authorized' };
  if (plan.card === 'not-found')
    return { status: 'failed', failureCode: 'payment_method_not_found', capturedAmount: 0, money: 'never-authorized' };
  if (plan.card === 'expired' || plan.card === 'token-refused')
    return { status: 'failed', failureCode: 'payment_method_unusable', capturedAmount: 0, money: 'never-authorized' };
  const authorization = world.zuz.firstOperation('authorization');
  // Zuz never took the authorization: only an outage does that (excused as such by the outcome check).
  if (!authorization) return { status: 'failed', failureCode: 'provider_unavailable', capturedAmount: 0, money: 'never-authorized' };
  // Zuz took it, but no answer to any attempt got back (a flaky network through every retry: 0.39^8 per
  // flaky seed): to the flow Zuz was unreachable, so it gives up as designed and releases what Zuz approved.
  if (!world.fates.get('createAuthorization:answered')) return gaveUpOnAuthorization('provider_unavailable', authorization);
  const decidedAfter = authorization.resolvesAt === undefined ? 0 : authorization.resolvesAt - authorization.createdAt;
  if (Math.abs(decidedAfter - AUTHORIZATION_DEADLINE_MS) < DEADLINE_RACE_MS) return undefined;
  if (decidedAfter > AUTHORIZATION_DEADLINE_MS) return gaveUpOnAuthorization('authorization_timeout', authorization);
  // Zuz decided in time, but the flow may not have learned it in time: its webhooks lost, its reads failed or lagging.
  // Giving up at the deadline is then the flow's design (nothing is held: what Zuz approved is voided), so either end is right.
  // Reads lag in rough weather, and in any weather once the world lost a capture's answers (world.ts, readPayment).
  const readsLagged = (world.fates.get('readPayment:stale') ?? 0) > 0;
  const mayHaveMissedIt = plan.authorizationPending && (plan.weather !== 'calm' || readsLagged);
  if (mayHaveMissedIt && run.view?.failure?.code === 'authorization_timeout') return undefined;
  if (authorization.finalStatus === 'Failed')
    return { status: 'declined', failureCode: 'authorization_declined', capturedAmount: 0, money: 'never-authorized' };

  const accepted = run.client.find((attempt) => attempt.answer === 'accepted');
  if (accepted?.request.action === 'cancel')
    return { status: 'cancelled', failureCode: 'cancelled_by_client', capturedAmount: 0, money: 'voided' };
  if (plan.request.capture === 'manual' && !accepted)
    return { status: 'cancelled', failureCode: 'authorization_expired', capturedAmount: 0, money: 'voided' };
  const capture = world.zuz.firstOperation('capture');
  if (capture?.resolvesAt !== undefined) {
    // Zuz decided the capture after the flow's deadline: the flow fails it without a final answer
    // (a pending capture cannot be voided) and the reconciliation settles the money. The deadline
    // starts once the flow has the capture's answer, which a window of lost answers delays.
    const decidedAfter = capture.resolvesAt - capture.createdAt;
    const answerDelay = plan.unanswered?.call === 'createCapture' ? plan.unanswered.forMs : 0;
    if (decidedAfter > CAPTURE_DEADLINE_MS + answerDelay + DEADLINE_RACE_MS)
      return { status: 'failed', failureCode: 'capture_failed', capturedAmount: 0, money: 'voided' };
    if (decidedAfter > CAPTURE_DEADLINE_MS - DEADLINE_RACE_MS) return undefined;
  }
  if (!capture || capture.finalStatus === 'Failed')
    return { status: 'failed', failureCode: 'capture_failed', capturedAmount: 0, money: 'voided' };
  const asked = accepted?.request.action === 'capture' ? (accepted.request.amount ?? authorization.amount) : authorization.amount;
  return { status: 'succeeded', capturedAmount: asked, money: 'captured' };
}

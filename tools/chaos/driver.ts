/**
 * Drives the planned transactions through the API with bounded concurrency, like POS terminals
 * would: create, (for manual capture) wait for `authorized` and capture or cancel, then poll
 * until a terminal state or the transaction's deadline. Everything seen is kept for the checks.
 */
import { isTerminal, type TransactionView } from '../../src/transaction/model';
import { refundKey, refundWorkflowIdFor } from '../../src/refund/model';

/** Terminal and done: the workflow records the outcome (its last step) after any void. */
function isFinished(view: TransactionView): boolean {
  return isTerminal(view.status) && view.steps.some((step) => step.name === 'finalizeTransaction' && step.state === 'completed');
}
import { ApiClient, GaveUpError } from './api-client';
import type { TransactionPlan } from './kinds';
import type { Progress } from './progress';
import { sleep } from './sleep';

export interface TransactionRun {
  plan: TransactionPlan;
  /** Epoch ms of the first POST. */
  startedAt?: number;
  deadlineAt?: number;
  createStatus?: number;
  /** Epoch ms of the first capture or cancel attempt (the manual kinds). */
  actionSentAt?: number;
  /** What the capture or cancel request was answered (409 after a retry can mean the first one took effect). */
  actionStatus?: number;
  actionAnswer?: unknown;
  /** Epoch ms when that answer came: later than the send when the API or Temporal was down meanwhile. */
  actionAnsweredAt?: number;
  /** Epoch ms when the status was first seen terminal (compensation such as a void may still be under way)... */
  terminalStatusAt?: number;
  /** ...and when the transaction was seen finished: terminal and its outcome recorded (the last step). */
  terminalAt?: number;
  lastView?: TransactionView;
  /** Every status the client saw, in order (consecutive repeats folded): a terminal one must never change. */
  observedStatuses?: string[];
  /** For a plan that forgets: the view before its workflow was deleted, and the repeated request's answer. */
  forgotten?: { view: TransactionView; runId?: string; gone: boolean; repeatStatus?: number; repeatView?: TransactionView };
  /** Each refund request sent and how the API answered it (a repeat is a second entry). */
  refundAnswers?: RefundAnswer[];
  /** For a plan that forgets: each refund asked again once Temporal had forgotten its workflow. */
  refundRepeats?: RefundRepeat[];
  /** Why the driver stopped following the transaction early. */
  problem?: string;
}

export interface RefundRepeat {
  refundId: string;
  httpStatus: number;
  /** What the record said before the repeat: only a refund that never reached Zuz may start again. */
  statusBefore?: string;
  /**
   * What Temporal has under the refund's workflow id after the repeat: nothing, the forgotten run
   * itself (its deletion still under way), or a new run — a new start of a refund that reached Zuz
   * could refund twice.
   */
  workflowAfter: 'none' | 'deletion-pending' | 'started';
}

export interface RefundAnswer {
  refundId: string;
  /** The HTTP status: 202 reserved, 200 a repeat, 409 refused (`code` says why). */
  httpStatus: number;
  code?: string;
  amount?: number;
  status?: string;
}

export interface DriverOptions {
  concurrency: number;
  deadlineMs: number;
  signal: AbortSignal;
  /** Deletes the transaction's workflow, as the namespace's retention period does. */
  forget: (transactionId: string) => Promise<{ runId?: string; gone: boolean }>;
  /** The same for a refund's workflow, and whether one exists (a repeat must not start it again). */
  forgetWorkflow: (workflowId: string) => Promise<{ runId?: string; gone: boolean }>;
  isGone: (workflowId: string) => Promise<boolean>;
  runOf: (workflowId: string) => Promise<string | undefined>;
}

export async function driveTransactions(
  plans: readonly TransactionPlan[],
  api: ApiClient,
  progress: Progress,
  options: DriverOptions,
): Promise<TransactionRun[]> {
  const runs: TransactionRun[] = plans.map((plan) => ({ plan }));
  let next = 0;
  const lane = async () => {
    for (;;) {
      const index = next++;
      if (index >= runs.length || options.signal.aborted) return;
      progress.transactionStarted();
      await driveOne(runs[index], api, options).catch((err) => {
        runs[index].problem = err instanceof GaveUpError ? err.message : `driver error: ${String(err)}`;
      });
      progress.transactionFinished();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, runs.length) }, lane));
  return runs;
}

async function driveOne(run: TransactionRun, api: ApiClient, options: DriverOptions): Promise<void> {
  const { plan } = run;
  run.startedAt = Date.now();
  run.deadlineAt = run.startedAt + options.deadlineMs + plan.designedWaitMs;
  const call = { giveUpAt: run.deadlineAt, signal: options.signal };

  const body = {
    transactionId: plan.transactionId,
    customerId: 'cus_demo',
    paymentMethodId: plan.paymentMethodId,
    amount: plan.amount,
    currency: 'EUR',
    capture: plan.capture,
    description: `chaos ${plan.kind}`,
  };
  const created = await api.call<TransactionView>('POST', '/v1/transactions', body, call);
  run.createStatus = created.status;
  if (created.status !== 202 && created.status !== 200) {
    run.problem = `POST /v1/transactions answered ${created.status}: ${JSON.stringify(created.body)}`;
    return;
  }

  if (plan.action.type !== 'none') {
    const held = await pollUntil(run, api, options, (view) => view.status !== 'processing', 1000);
    if (!held) return;
    if (held.status === 'authorized') {
      await sleep(plan.action.afterMs);
      run.actionSentAt = Date.now();
      const route = `/v1/transactions/${plan.transactionId}/${plan.action.type}`;
      const answer = await api.call('POST', route, plan.action.type === 'capture' ? { amount: plan.action.amount } : {}, call);
      run.actionStatus = answer.status;
      run.actionAnswer = answer.body;
      run.actionAnsweredAt = Date.now();
    }
  }
  const finished = await pollUntil(run, api, options, isFinished, 1500);
  if (finished?.status === 'succeeded' && plan.refunds) await askRefunds(run, api, call);
  if (!finished || !plan.forgetAndRepeat) return;
  // Temporal forgets the run; the same request must answer the recorded transaction, not charge again.
  run.forgotten = { view: finished, ...(await options.forget(plan.transactionId)) };
  const repeated = await api.call<TransactionView>('POST', '/v1/transactions', body, call);
  run.forgotten.repeatStatus = repeated.status;
  if (repeated.status === 200) {
    run.forgotten.repeatView = repeated.body;
    observe(run, repeated.body.status);
  }
  if (run.refundAnswers?.length) await repeatRefundsAfterForgetting(run, api, call, options);
}

/**
 * Temporal forgets each refund's workflow too (once it has closed); the same refund requests again
 * must be answered from the record and start nothing for a refund that may have reached Zuz.
 */
async function repeatRefundsAfterForgetting(
  run: TransactionRun,
  api: ApiClient,
  call: { giveUpAt: number; signal: AbortSignal },
  options: DriverOptions,
): Promise<void> {
  run.refundRepeats = [];
  const view = await api.call<{ refunds?: Array<{ refundId: string; status: string }> }>(
    'GET',
    `/v1/transactions/${run.plan.transactionId}`,
    undefined,
    call,
  );
  for (const step of run.plan.refunds ?? []) {
    if (step.beyond) continue;
    const statusBefore = view.body.refunds?.find((r) => r.refundId === step.refundId)?.status;
    const workflowId = refundWorkflowIdFor(refundKey(run.plan.transactionId, step.refundId));
    // A refund still running its workflow is not Temporal's to forget yet.
    if (statusBefore === 'pending' && !(await options.isGone(workflowId))) continue;
    const forgotten = await options.forgetWorkflow(workflowId);
    const body = { refundId: step.refundId, ...(step.amount !== undefined && { amount: step.amount }), reason: `chaos ${step.refundId}` };
    const answer = await api.call('POST', `/v1/transactions/${run.plan.transactionId}/refunds`, body, call);
    const after = await options.runOf(workflowId);
    run.refundRepeats.push({
      refundId: step.refundId,
      httpStatus: answer.status,
      statusBefore,
      workflowAfter: after === undefined ? 'none' : after === forgotten.runId ? 'deletion-pending' : 'started',
    });
  }
}

/**
 * The merchant's refunds, one request after the other, as a back office sends them. Whether each
 * settles is not waited for: a refund still pending at its (short) deadline is the closing
 * reconciliation's to settle, which the invariants then check against Zuz.
 */
async function askRefunds(run: TransactionRun, api: ApiClient, call: { giveUpAt: number; signal: AbortSignal }): Promise<void> {
  run.refundAnswers = [];
  for (const step of run.plan.refunds ?? []) {
    const body = { refundId: step.refundId, ...(step.amount !== undefined && { amount: step.amount }), reason: `chaos ${step.refundId}` };
    for (let send = 0; send < (step.repeat ? 2 : 1); send++) {
      const answer = await api.call<{ amount?: number; status?: string; error?: { code: string } }>(
        'POST',
        `/v1/transactions/${run.plan.transactionId}/refunds`,
        body,
        call,
      );
      run.refundAnswers.push({
        refundId: step.refundId,
        httpStatus: answer.status,
        code: answer.body?.error?.code,
        amount: answer.body?.amount,
        status: answer.body?.status,
      });
    }
  }
}

function observe(run: TransactionRun, status: string): void {
  run.observedStatuses ??= [];
  if (run.observedStatuses[run.observedStatuses.length - 1] !== status) run.observedStatuses.push(status);
}

/** Polls GET /v1/transactions/:id with a growing pause until `done`; undefined at the deadline. */
async function pollUntil(
  run: TransactionRun,
  api: ApiClient,
  options: DriverOptions,
  done: (view: TransactionView) => boolean,
  maxPauseMs: number,
): Promise<TransactionView | undefined> {
  let pause = 200;
  for (;;) {
    // 404 is retried: a transaction just accepted must exist, so a 404 is a server catching up (or a loss the checks will name).
    const answer = await api.call<TransactionView>('GET', `/v1/transactions/${run.plan.transactionId}`, undefined, {
      giveUpAt: run.deadlineAt!,
      signal: options.signal,
      alsoRetry: [404],
    });
    if (answer.status === 200) {
      run.lastView = answer.body;
      observe(run, answer.body.status);
      if (isTerminal(answer.body.status)) run.terminalStatusAt ??= Date.now();
      if (isFinished(answer.body)) run.terminalAt ??= Date.now();
      if (done(answer.body)) return answer.body;
    }
    if (Date.now() + pause > run.deadlineAt!) {
      run.problem = `still ${describeState(run.lastView)} at its deadline`;
      return undefined;
    }
    if (options.signal.aborted) {
      run.problem = `still ${describeState(run.lastView)} when the run was stopped`;
      return undefined;
    }
    await sleep(pause);
    pause = Math.min(Math.round(pause * 1.5), maxPauseMs);
  }
}

function describeState(view: TransactionView | undefined): string {
  if (!view) return 'unseen';
  const running = view.steps.filter((step) => step.state === 'running').map((step) => step.name);
  return `${view.status}${running.length ? ` (running: ${running.join(', ')})` : ''}`;
}

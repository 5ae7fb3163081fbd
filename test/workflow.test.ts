/**
 * The transaction workflow against the time-skipping server, with its activities replaced by
 * in-memory fakes of the database, PMS and Zuz. Long waits (polling, the 7-day expiry) take
 * milliseconds here.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { TransactionActivities } from '../src/activities';
import type { RiskVerdict } from '../src/transaction/activities';
import type { TransactionRequest, TransactionView, ZuzOperationResult } from '../src/transaction/model';
import { PAYMENT_METHOD_NOT_FOUND } from '../src/shared/failure-codes';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { cancelUpdate, captureUpdate, transactionQuery, zuzEventSignal } from '../src/transaction/workflow/messages';
import { PAYMENT_METHOD_UNUSABLE } from '../src/shared/failure-codes';
import type { ProcessTransactionInput } from '../src/transaction/workflow/process-transaction';
import type { StepPolicy } from '../src/workflows/options';
import { bundleWorkflows, createTimeSkippingEnv } from './helpers/temporal';

let env: TestWorkflowEnvironment;
let workflowBundle: { code: string };

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** A scripted Zuz: what each call answers, and what was called. */
class FakeZuz {
  calls: string[] = [];
  /** The merchant told of the authorization (noteAuthorized). */
  notes: string[] = [];
  authorization: ZuzOperationResult = result('authorization', 'Succeed');
  capture: ZuzOperationResult = result('capture', 'Succeed');
  /** What a poll of the payment shows. */
  polled: Partial<Record<'authorization' | 'capture' | 'void', ZuzOperationResult>> = {};
  captureFails = false;
  zuzDown = false;
  pmsFailure?: string;
  riskVerdict: RiskVerdict = { cleared: true };
  beforeAuthorizationReturns?: () => Promise<void>;
  /** Reads of the payment fail until this much (skipped) time after the authorization request. */
  readsFailFor?: number;
  /** The first void is refused (409) because, unknown to the flow, the capture landed after all (with this result). */
  captureLandsLate?: 'Pending' | 'Succeed' | 'Failed';
  /** Every void is refused (409) and the payment shows no reason for it. */
  voidRefused = false;
  /** After a refused void, this many reads lag behind Zuz's ledger (do not show the late capture yet). */
  laggingReadsAfterRefusal = 0;
  /** Reads of the payment lag behind Zuz's ledger (show no authorization) until this much (skipped) time after the authorization request. */
  readsHideAuthorizationFor?: number;
  private authorizationRequestedAt = 0;

  activities(): TransactionActivities {
    return {
      recordTransaction: async () => void this.calls.push('recordTransaction'),
      assignAccountId: async () => (this.calls.push('assignAccountId'), 'acct_test'),
      screenTransaction: async () => (this.calls.push('screenTransaction'), this.riskVerdict),
      // Beside the capture (its order against it is not fixed), so noted on a list of its own.
      noteAuthorized: async ({ authorizedAmount }: { authorizedAmount: number }) => void this.notes.push(`authorized:${authorizedAmount}`),
      finalizeTransaction: async (view: TransactionView) => void this.calls.push(`finalize:${view.status}`),
      createPayment: async () => (this.calls.push('createPayment'), { paymentId: 'pay_1' }),
      createAuthorization: async () => {
        this.calls.push('createAuthorization');
        // The test server's (skipped) clock: a local activity's own timestamps are the worker's.
        this.authorizationRequestedAt = await env.currentTimeMs();
        if (this.pmsFailure) throw ApplicationFailure.create({ type: this.pmsFailure, message: 'no such method', nonRetryable: true });
        if (this.zuzDown) throw ApplicationFailure.create({ type: 'UpstreamUnavailable', message: 'Zuz answered 503' });
        await this.beforeAuthorizationReturns?.();
        return { paymentId: 'pay_1', authorization: this.authorization };
      },
      capturePayment: async ({ amount }: { amount: number }) => {
        this.calls.push(`capture:${amount}`);
        if (this.captureFails)
          throw ApplicationFailure.create({ type: 'UpstreamUnavailable', message: 'connection reset', nonRetryable: true });
        return { ...this.capture, amount };
      },
      voidAuthorization: async () => {
        this.calls.push('void');
        if (this.voidRefused) throw ApplicationFailure.create({ type: 'UpstreamRefused', message: 'Zuz answered 409', nonRetryable: true });
        if (!this.captureLandsLate || this.polled.capture) return result('void', 'Succeed');
        this.polled = { ...this.polled, capture: result('capture', this.captureLandsLate) };
        throw ApplicationFailure.create({ type: 'UpstreamRefused', message: 'Zuz answered 409', nonRetryable: true });
      },
      readPaymentState: async () => {
        this.calls.push('poll');
        const readableAt = this.authorizationRequestedAt + (this.readsFailFor ?? 0);
        if (Context.current().info.currentAttemptScheduledTimestampMs < readableAt) {
          throw ApplicationFailure.create({ type: 'UpstreamUnavailable', message: 'Zuz answered 503' });
        }
        if (
          Context.current().info.currentAttemptScheduledTimestampMs <
          this.authorizationRequestedAt + (this.readsHideAuthorizationFor ?? 0)
        ) {
          return { ...this.polled, authorization: undefined };
        }
        if (this.polled.capture && this.laggingReadsAfterRefusal > 0) {
          this.laggingReadsAfterRefusal--;
          return { ...this.polled, capture: undefined };
        }
        return this.polled;
      },
    };
  }
}

function result(kind: ZuzOperationResult['kind'], status: ZuzOperationResult['status'], amount = 1000): ZuzOperationResult {
  return { kind, operationId: `${kind}_1`, status, amount };
}

function request(overrides: Partial<TransactionRequest> = {}): TransactionRequest {
  return {
    transactionId: randomUUID(),
    customerId: 'cus_1',
    paymentMethodId: 'pm_1',
    amount: 1000,
    currency: 'EUR',
    capture: 'auto',
    ...overrides,
  };
}

async function run(
  zuz: FakeZuz,
  input: ProcessTransactionInput,
  duringRun?: (handle: ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>) => Promise<void>,
) {
  const taskQueue = `test-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: zuz.activities() });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start('processTransaction', {
      taskQueue,
      workflowId: `transaction-${input.request.transactionId}`,
      args: [input],
    });
    await duringRun?.(handle);
    const view = (await handle.result()) as TransactionView;
    // Every run of this file: the journal's step names are unique in the execution (a rerun carries its ordinal).
    expect(repeatedStepNames(view)).toEqual([]);
    return view;
  });
}

/** The step names the journal holds more than once. */
function repeatedStepNames(view: TransactionView): string[] {
  const names = view.steps.map((s) => s.name);
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}

/** A journal name without its rerun's ordinal (`rereadAuthorizationFate#3` is a rerun of `rereadAuthorizationFate`). */
function stepOf(s: { name: string }): string {
  return s.name.replace(/#\d+$/, '');
}

function event(status: 'Pending' | 'Succeed' | 'Failed', eventId = randomUUID(), kind: 'authorization' | 'capture' = 'authorization') {
  return { ...result(kind, status), eventId, paymentId: 'pay_1' };
}

test('an approved card is authorized, captured at once and recorded, step by step', async () => {
  const zuz = new FakeZuz();
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('succeeded');
  expect(view.capturedAmount).toBe(1000);
  expect(view.accountId).toBe('acct_test');
  expect(zuz.calls).toEqual([
    'recordTransaction',
    'assignAccountId',
    'screenTransaction',
    'createPayment',
    'createAuthorization',
    'capture:1000',
    'finalize:succeeded',
  ]);
  expect(view.steps.map((s) => `${s.name}:${s.state}`)).toEqual([
    'recordTransaction:completed',
    'assignAccountId:completed',
    'screenTransaction:completed',
    'createPayment:completed',
    'createAuthorization:completed',
    'awaitAuthorizationResult:completed',
    'noteAuthorized:completed',
    'capturePayment:completed',
    'awaitCaptureResult:completed',
    'finalizeTransaction:completed',
  ]);
  expect(zuz.notes).toEqual(['authorized:1000']);
});

test('a declined card is never captured', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = { ...result('authorization', 'Failed'), description: 'DECLINED' };
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('declined');
  expect(view.failure).toEqual({ code: 'authorization_declined', message: 'DECLINED' });
  expect(zuz.calls).not.toContain('capture:1000');
  expect(zuz.notes).toEqual([]); // nothing held, nothing to tell but the outcome
});

test('the note of the authorization never stands in the way of the payment: failing for good, it is journalled and the capture goes on', async () => {
  const zuz = new FakeZuz();
  const activities = zuz.activities();
  const view = await run(
    Object.assign(zuz, {
      activities: () => ({
        ...activities,
        noteAuthorized: async () => {
          throw ApplicationFailure.create({ type: 'Bug', message: 'the note cannot be written', nonRetryable: true });
        },
      }),
    }),
    { request: request() },
  );
  expect(view.status).toBe('succeeded');
  expect(zuz.calls).toEqual(expect.arrayContaining(['capture:1000', 'finalize:succeeded']));
  expect(view.steps.find((s) => s.name === 'noteAuthorized')?.state).toBe('failed');
});

test('an unknown payment method fails the transaction without retrying', async () => {
  const zuz = new FakeZuz();
  zuz.pmsFailure = PAYMENT_METHOD_NOT_FOUND;
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('failed');
  expect(view.failure?.code).toBe('payment_method_not_found');
  expect(zuz.calls.filter((c) => c === 'createAuthorization')).toHaveLength(1);
  // A refusal is an answer: the payment is read once for safety, not again for hours as after lost answers (v7).
  expect(view.steps.filter((s) => stepOf(s) === 'rereadAuthorizationFate')).toEqual([]);
  expect(zuz.calls.filter((c) => c === 'poll').length).toBeLessThanOrEqual(1);
});

test('a webhook whose event id was already seen is dropped even when it says something new; a new event id is taken', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  zuz.polled = { authorization: result('authorization', 'Pending') }; // polling finds nothing final: only a webhook can end the wait
  const view = await run(zuz, { request: request() }, async (handle) => {
    const pending = event('Pending');
    await handle.signal(zuzEventSignal, pending);
    // The same event id again, now final: a replay by its id, which only dedup by id drops (the inbox holds no final answer yet).
    await handle.signal(zuzEventSignal, event('Succeed', pending.eventId));
    await env.sleep('1 minute'); // past the webhook grace period: a flow still waiting polls
    while (!zuz.calls.some((c) => c === 'poll' || c.startsWith('capture'))) await new Promise((r) => setTimeout(r, 50));
    expect(zuz.calls.filter((c) => c.startsWith('capture'))).toEqual([]);
    const waiting = await handle.query(transactionQuery);
    expect(waiting.status).toBe('processing');
    expect(waiting.steps.find((s) => s.name === 'awaitAuthorizationResult')?.state).toBe('running');

    await handle.signal(zuzEventSignal, event('Succeed'));
  });

  expect(view.status).toBe('succeeded');
  expect(view.steps.find((s) => s.name === 'awaitAuthorizationResult')?.branch).toBe('webhook');
  expect(zuz.calls.filter((c) => c.startsWith('capture'))).toHaveLength(1);
});

test('a repeated final webhook changes nothing: the first final answer wins', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  const view = await run(zuz, { request: request() }, async (handle) => {
    await handle.signal(zuzEventSignal, event('Succeed'));
    await handle.signal(zuzEventSignal, event('Failed')); // another event id: only first-final-wins drops it
  });

  expect(view.status).toBe('succeeded');
  expect(zuz.calls.filter((c) => c.startsWith('capture'))).toHaveLength(1);
});

test('a webhook that arrives before the workflow waits for it is not lost', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  let workflowId = '';
  zuz.beforeAuthorizationReturns = () => env.client.workflow.getHandle(workflowId).signal(zuzEventSignal, event('Succeed'));
  const tx = request();
  workflowId = `transaction-${tx.transactionId}`;
  const view = await run(zuz, { request: tx });

  expect(view.status).toBe('succeeded');
  // Since v10 the request is a local activity: the webhook, come while the request's task was still
  // running, is handed over in the next task, to the wait (before, with the request's answer).
  expect(view.steps.find((s) => s.name === 'awaitAuthorizationResult')?.branch).toBe('webhook');
  expect(zuz.calls).not.toContain('poll');
});

test('when the webhook never comes, polling finds the result', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('succeeded');
  expect(view.steps.find((s) => s.name === 'awaitAuthorizationResult')?.branch).toBe('polling');
  expect(zuz.calls).toContain('poll');
});

test('the journal shows the polling rounds of a wait: how many, and what the last one saw', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  zuz.polled = { authorization: result('authorization', 'Pending') };
  const view = await run(zuz, { request: request() }, async () => {
    // Three reads still see it pending; then Zuz settles it and the next read finds it.
    await env.sleep('2 minutes');
    zuz.polled = { authorization: result('authorization', 'Succeed') };
  });
  const wait = view.steps.find((s) => s.name === 'awaitAuthorizationResult');
  expect(wait).toMatchObject({ branch: 'polling', lastPoll: 'succeed' });
  expect(wait?.polls).toBe(zuz.calls.filter((c) => c === 'poll').length);
  expect(wait?.polls).toBeGreaterThanOrEqual(2);
  // Steps that wait run no activity of their own; a step named otherwise than its activity says which it runs.
  expect(view.steps.every((s) => s.historyFrom !== undefined)).toBe(true);
});

test('an authorization that stays pending past its deadline fails the transaction', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  zuz.polled = { authorization: result('authorization', 'Pending') };
  // After the deadline the pending authorization is watched until the expiry: a short one keeps the test quick.
  const view = await run(zuz, { request: request(), options: { authorizationExpiry: '4 hours' } });

  expect(view.status).toBe('failed');
  expect(view.failure?.code).toBe('authorization_timeout');
  expect(view.steps.find((s) => s.name === 'awaitLateAuthorizationResult')?.branch).toBe('deadline');
  expect(zuz.calls.filter((c) => c === 'poll').length).toBeGreaterThan(3);
});

test('an unused manual authorization is voided when it expires after 7 days', async () => {
  const zuz = new FakeZuz();
  const view = await run(zuz, { request: request({ capture: 'manual' }) });

  expect(view.status).toBe('cancelled');
  expect(view.failure?.code).toBe('authorization_expired');
  expect(zuz.calls).toContain('void');
  expect(zuz.calls.some((c) => c.startsWith('capture'))).toBe(false);
});

test('a capture whose fate is unknown is read back from Zuz, never sent twice', async () => {
  const zuz = new FakeZuz();
  zuz.captureFails = true;
  zuz.polled = { authorization: result('authorization', 'Succeed'), capture: result('capture', 'Succeed') };
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('succeeded');
  expect(zuz.calls.filter((c) => c.startsWith('capture'))).toHaveLength(1);
  expect(zuz.calls).toContain('poll');
});

test('a failed capture releases the authorization', async () => {
  const zuz = new FakeZuz();
  zuz.capture = { ...result('capture', 'Failed'), description: 'DECLINED' };
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('failed');
  expect(view.failure?.code).toBe('capture_failed');
  expect(zuz.calls).toContain('void');
});

test('an expired or blocked card fails as unusable', async () => {
  const zuz = new FakeZuz();
  zuz.pmsFailure = PAYMENT_METHOD_UNUSABLE;
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('failed');
  expect(view.failure?.code).toBe('payment_method_unusable');
});

test('a stale Pending webhook delivered after the final answer changes nothing', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  const view = await run(zuz, { request: request() }, async (handle) => {
    await handle.signal(zuzEventSignal, event('Succeed'));
    await handle.signal(zuzEventSignal, event('Pending'));
  });

  expect(view.status).toBe('succeeded');
  expect(zuz.calls.filter((c) => c.startsWith('capture'))).toHaveLength(1);
});

/** Waits (in workflow time) until the transaction reports the status. */
async function untilStatus(handle: { query: (q: typeof transactionQuery) => Promise<TransactionView> }, status: string) {
  while ((await handle.query(transactionQuery)).status !== status) await new Promise((r) => setTimeout(r, 50));
}

test('manual capture: the client captures part of the authorized amount; more than authorized is refused', async () => {
  const zuz = new FakeZuz();
  const view = await run(zuz, { request: request({ capture: 'manual' }) }, async (handle) => {
    await untilStatus(handle, 'authorized');
    await expect(handle.executeUpdate(captureUpdate, { args: [{ amount: 1001 }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    const captured = await handle.executeUpdate(captureUpdate, { args: [{ amount: 600 }] });
    expect(captured.status).not.toBe('authorized');
  });

  expect(view).toMatchObject({ status: 'succeeded', authorizedAmount: 1000, capturedAmount: 600 });
  expect(zuz.calls.filter((c) => c.startsWith('capture'))).toEqual(['capture:600']);
});

test('cancel before capture voids the authorization', async () => {
  const zuz = new FakeZuz();
  const view = await run(zuz, { request: request({ capture: 'manual' }) }, async (handle) => {
    await untilStatus(handle, 'authorized');
    const cancelled = await handle.executeUpdate(cancelUpdate);
    expect(cancelled.status).toBe('cancelled');
  });

  expect(view.failure?.code).toBe('cancelled_by_client');
  expect(zuz.calls).toContain('void');
  expect(zuz.calls.some((c) => c.startsWith('capture'))).toBe(false);
});

test('cancel once the capture is under way is refused, and the capture completes', async () => {
  const zuz = new FakeZuz();
  zuz.capture = result('capture', 'Pending');
  const view = await run(zuz, { request: request({ capture: 'manual' }) }, async (handle) => {
    await untilStatus(handle, 'authorized');
    await handle.executeUpdate(captureUpdate, { args: [{}] });
    await untilStatus(handle, 'capturing');
    await expect(handle.executeUpdate(cancelUpdate)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await handle.signal(zuzEventSignal, event('Succeed', randomUUID(), 'capture'));
  });

  expect(view).toMatchObject({ status: 'succeeded', capturedAmount: 1000 });
  expect(zuz.calls).not.toContain('void');
});

test('an auto-capture transaction refuses a manual capture request', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  await run(zuz, { request: request() }, async (handle) => {
    await expect(handle.executeUpdate(captureUpdate, { args: [{}] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await handle.signal(zuzEventSignal, event('Succeed'));
  });
});

test('when Zuz stays down through every attempt, the transaction fails as provider_unavailable', async () => {
  const zuz = new FakeZuz();
  zuz.zuzDown = true;
  const quickGiveUp: StepPolicy = { startToCloseTimeout: '5 seconds', retry: { initialInterval: '10 milliseconds', maximumAttempts: 3 } };
  const view = await run(zuz, { request: request(), options: { steps: { zuzCommands: quickGiveUp } } });

  expect(view.status).toBe('failed');
  expect(view.failure?.code).toBe('provider_unavailable');
  expect(zuz.calls.filter((c) => c === 'createAuthorization')).toHaveLength(3);
  // One of the lost attempts might have been approved: Zuz shows none, so there is nothing to void.
  expect(view.steps.find((s) => s.name === 'readAuthorizationFate')?.branch).toBe('none');
  expect(zuz.calls).not.toContain('void');
});

test('an authorization approved by an attempt whose answer was lost is voided', async () => {
  const zuz = new FakeZuz();
  zuz.zuzDown = true;
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  const quickGiveUp: StepPolicy = { startToCloseTimeout: '5 seconds', retry: { initialInterval: '10 milliseconds', maximumAttempts: 3 } };
  const view = await run(zuz, { request: request(), options: { steps: { zuzCommands: quickGiveUp } } });

  expect(view).toMatchObject({
    status: 'failed',
    failure: { code: 'provider_unavailable' },
    zuz: { paymentId: 'pay_1', voidId: 'void_1' },
    // The record says Zuz held the money, and that it was released.
    authorizedAmount: 1000,
    release: 'released',
  });
  expect(zuz.calls.filter((c) => c === 'void')).toHaveLength(1);
});

test('an authorization unreadable until its deadline is voided once Zuz shows it approved', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  zuz.readsFailFor = 3 * 60 * 60 * 1000; // an hour past the 2-hour deadline
  const view = await run(zuz, { request: request() });

  expect(view).toMatchObject({ status: 'failed', failure: { code: 'authorization_timeout' }, zuz: { voidId: 'void_1' } });
  expect(view.steps.find((s) => s.name === 'readAuthorizationFate')?.branch).toBe('succeed');
  expect(zuz.calls.filter((c) => c.startsWith('capture'))).toHaveLength(0);
});

// v6, found by the simulation (seed 2007): Zuz gave the authorization an id, so a read without it lags.
test('a read that does not show an authorization Zuz gave an id to is read again, and the approved authorization is voided', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  zuz.readsHideAuthorizationFor = (2 * 60 + 30) * 60 * 1000; // half an hour past the 2-hour deadline
  const view = await run(zuz, { request: request() });

  expect(view).toMatchObject({
    status: 'failed',
    failure: { code: 'authorization_timeout' },
    authorizedAmount: 1000,
    zuz: { voidId: 'void_1' },
    release: 'released',
  });
  const fate = view.steps
    .filter((s) => stepOf(s) === 'readAuthorizationFate' || stepOf(s) === 'rereadAuthorizationFate')
    .map((s) => s.branch);
  expect(fate[0]).toBe('none');
  expect(fate.length).toBeGreaterThan(2); // more than one reread: the pauses grow until the read catches up
  expect(fate.slice(1, -1).every((branch) => branch === 'none')).toBe(true);
  expect(fate[fate.length - 1]).toBe('succeed');
  expect(zuz.calls.filter((c) => c === 'void')).toHaveLength(1);
});

// v7, found by the simulation (seeds 783, 1058, 1289): every answer to the authorization was lost, so the flow knows no id, and the read lags.
test('an authorization whose answers were all lost and that a lagging read hides is read again, and voided', async () => {
  const zuz = new FakeZuz();
  zuz.zuzDown = true; // every attempt's answer is lost; Zuz approved one of them
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  zuz.readsHideAuthorizationFor = 20 * 60 * 1000;
  const quickGiveUp: StepPolicy = { startToCloseTimeout: '5 seconds', retry: { initialInterval: '10 milliseconds', maximumAttempts: 3 } };
  const view = await run(zuz, { request: request(), options: { steps: { zuzCommands: quickGiveUp } } });

  expect(view).toMatchObject({
    status: 'failed',
    failure: { code: 'provider_unavailable' },
    authorizedAmount: 1000,
    zuz: { voidId: 'void_1' },
    release: 'released',
  });
  const fate = view.steps
    .filter((s) => stepOf(s) === 'readAuthorizationFate' || stepOf(s) === 'rereadAuthorizationFate')
    .map((s) => s.branch);
  expect(fate[0]).toBe('none');
  expect(fate[fate.length - 1]).toBe('succeed');
  expect(zuz.calls.filter((c) => c === 'void')).toHaveLength(1);
});

test('when the answers were lost and no read ever shows an authorization, the flow reads for one longest polling interval, then ends', async () => {
  const zuz = new FakeZuz();
  zuz.zuzDown = true; // no attempt reached Zuz
  zuz.polled = {};
  const quickGiveUp: StepPolicy = { startToCloseTimeout: '5 seconds', retry: { initialInterval: '10 milliseconds', maximumAttempts: 3 } };
  const view = await run(zuz, { request: request(), options: { steps: { zuzCommands: quickGiveUp } } });

  expect(view).toMatchObject({ status: 'failed', failure: { code: 'provider_unavailable' }, authorizedAmount: 0 });
  expect(view.zuz.voidId).toBeUndefined();
  const reads = view.steps.filter((s) => stepOf(s) === 'readAuthorizationFate' || stepOf(s) === 'rereadAuthorizationFate');
  expect(reads.length).toBeGreaterThan(2);
  expect(reads.every((s) => s.branch === 'none')).toBe(true);
  const readFor = Date.parse(reads[reads.length - 1].startedAt) - Date.parse(reads[0].startedAt);
  expect(readFor).toBeGreaterThanOrEqual(30 * 60 * 1000 - 1000); // the default longest polling interval, 30 minutes
  expect(readFor).toBeLessThan(60 * 60 * 1000);
  expect(zuz.calls.filter((c) => c === 'void')).toHaveLength(0);
});

test('an authorization still pending when the flow gave up is watched, and voided when Zuz approves it late', async () => {
  const zuz = new FakeZuz();
  zuz.authorization = result('authorization', 'Pending');
  zuz.polled = { authorization: result('authorization', 'Pending') };
  const view = await run(zuz, { request: request() }, async (handle) => {
    await env.sleep('2 hours'); // time skips only when the test asks for it (or awaits the result)
    await untilStatus(handle, 'failed');
    await handle.signal(zuzEventSignal, event('Succeed'));
  });

  expect(view).toMatchObject({ status: 'failed', failure: { code: 'authorization_timeout' }, zuz: { voidId: 'void_1' } });
  expect(view.steps.find((s) => s.name === 'awaitLateAuthorizationResult')?.branch).toBe('webhook');
});

test('a void refused while a late capture was pending is sent again once that capture failed', async () => {
  const zuz = new FakeZuz();
  zuz.captureFails = true;
  zuz.captureLandsLate = 'Pending';
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  const view = await run(zuz, { request: request() }, async (handle) => {
    while (!(await handle.query(transactionQuery)).steps.some((s) => s.name === 'awaitLateCaptureResult'))
      await new Promise((r) => setTimeout(r, 50));
    await handle.signal(zuzEventSignal, event('Failed', randomUUID(), 'capture'));
  });

  expect(view).toMatchObject({ status: 'failed', failure: { code: 'capture_failed' }, capturedAmount: 0, zuz: { voidId: 'void_1' } });
  expect(view.steps.filter((s) => s.name.startsWith('voidAuthorization')).map((s) => `${s.name}:${s.state}`)).toEqual([
    'voidAuthorization:failed',
    'voidAuthorizationAgain:completed',
  ]);
});

test('a void refused because the capture landed after all settles as succeeded', async () => {
  const zuz = new FakeZuz();
  zuz.captureFails = true;
  zuz.captureLandsLate = 'Succeed';
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  const view = await run(zuz, { request: request() });

  expect(view).toMatchObject({ status: 'succeeded', capturedAmount: 1000, zuz: { captureId: 'capture_1' } });
  expect(view.failure).toBeUndefined();
  expect(view.steps.find((s) => s.name === 'readPaymentAfterRefusedVoid')?.branch).toBe('capture-succeed');
  expect(zuz.calls.filter((c) => c.startsWith('capture'))).toHaveLength(1);
});

test('a void refused while lagging reads hide the late capture: the payment is read again until it shows, and the transaction succeeds', async () => {
  const zuz = new FakeZuz();
  zuz.captureFails = true;
  zuz.captureLandsLate = 'Succeed';
  zuz.laggingReadsAfterRefusal = 3;
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  const view = await run(zuz, { request: request() });

  expect(view).toMatchObject({ status: 'succeeded', capturedAmount: 1000, zuz: { captureId: 'capture_1' } });
  expect(view.steps.filter((s) => s.name.includes('RefusedVoid')).map((s) => `${s.name}:${s.branch}`)).toEqual([
    'readPaymentAfterRefusedVoid:unexplained',
    'rereadPaymentAfterRefusedVoid:unexplained',
    'rereadPaymentAfterRefusedVoid#2:unexplained',
    'rereadPaymentAfterRefusedVoid#3:capture-succeed',
  ]);
  // Each rerun names the activity it runs, so the API finds its attempts.
  expect(view.steps.filter((s) => s.name.startsWith('rereadPaymentAfterRefusedVoid')).map((s) => s.activity)).toEqual([
    'readPaymentState',
    'readPaymentState',
    'readPaymentState',
  ]);
  expect(zuz.calls.filter((c) => c === 'void')).toHaveLength(1);
});

/** Every status the workflow published (its TransactionStatus search-attribute upserts), in order. */
async function publishedStatuses(transactionId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(`transaction-${transactionId}`).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TransactionStatus;
    return field?.data ? [JSON.parse(Buffer.from(field.data).toString('utf8')) as string] : [];
  });
}

test('a terminal status is published once: a capture found landed while releasing succeeds without a failed first', async () => {
  const zuz = new FakeZuz();
  zuz.captureFails = true;
  zuz.captureLandsLate = 'Succeed';
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  const input = { request: request() };
  const view = await run(zuz, input);

  expect(view.status).toBe('succeeded');
  expect(await publishedStatuses(input.request.transactionId)).toEqual(['capturing', 'releasing', 'succeeded']);
});

test('a failed capture is releasing until the void is through, then failed', async () => {
  const zuz = new FakeZuz();
  zuz.capture = { ...result('capture', 'Failed'), description: 'DECLINED' };
  const input = { request: request() };
  const view = await run(zuz, input);

  expect(view).toMatchObject({ status: 'failed', zuz: { voidId: 'void_1' }, release: 'released' });
  expect(await publishedStatuses(input.request.transactionId)).toEqual(['capturing', 'releasing', 'failed']);
});

test('a void Zuz refuses for no reason the payment shows ends release_failed (an alert), the status still final', async () => {
  const zuz = new FakeZuz();
  zuz.capture = { ...result('capture', 'Failed'), description: 'DECLINED' };
  zuz.voidRefused = true;
  const input = { request: request(), options: { captureDeadline: '2 hours' as const } }; // fewer rereads than the 3 days' ~150
  const view = await run(zuz, input);

  expect(view).toMatchObject({ status: 'failed', release: 'release_failed' });
  expect(view.zuz.voidId).toBeUndefined();
  // Read again with growing pauses until the capture deadline, then given up (bounded: the pause doubles).
  const rereads = view.steps.filter((s) => stepOf(s) === 'rereadPaymentAfterRefusedVoid');
  expect(rereads.length).toBeGreaterThan(1);
  expect(rereads.every((s) => s.branch === 'unexplained')).toBe(true);
  expect(await publishedStatuses(input.request.transactionId)).toEqual(['capturing', 'releasing', 'failed']);
});

test('an authorization approved by an earlier attempt is voided when a later attempt is refused', async () => {
  const zuz = new FakeZuz();
  zuz.pmsFailure = PAYMENT_METHOD_UNUSABLE; // the attempt that counts is refused (a 4xx), not lost
  zuz.polled = { authorization: result('authorization', 'Succeed') }; // yet Zuz holds an approved one
  const view = await run(zuz, { request: request() });

  expect(view).toMatchObject({
    status: 'failed',
    failure: { code: 'payment_method_unusable' },
    zuz: { authorizationId: 'authorization_1', voidId: 'void_1' },
  });
  expect(zuz.calls).toContain('void');
});

test('a transaction over the risk limits is declined before Zuz is asked', async () => {
  const zuz = new FakeZuz();
  zuz.riskVerdict = { cleared: false, reason: 'More than 30 transactions in the last hour' };
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('declined');
  expect(view.failure).toEqual({ code: 'risk_rejected', message: 'More than 30 transactions in the last hour' });
  expect(view.steps.find((s) => s.name === 'screenTransaction')?.branch).toBe('rejected');
  expect(zuz.calls).not.toContain('createAuthorization');
  expect(zuz.calls).toContain('finalize:declined');
});

test('a capture that never reached Zuz releases the authorization', async () => {
  const zuz = new FakeZuz();
  zuz.captureFails = true;
  zuz.polled = { authorization: result('authorization', 'Succeed') };
  const view = await run(zuz, { request: request() });

  expect(view.status).toBe('failed');
  expect(view.failure?.code).toBe('capture_failed');
  expect(zuz.calls.filter((c) => c.startsWith('capture'))).toHaveLength(1);
  expect(zuz.calls).toContain('void');
});

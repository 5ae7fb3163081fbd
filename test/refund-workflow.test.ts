/**
 * The refund workflow against the time-skipping server, with Zuz and the database as fakes:
 * every branch — approved at once, pending then approved or declined by webhook, no webhook
 * (polling), Zuz down for a while, Zuz refusing, and no answer by the deadline. (Over-refunds
 * and refunds racing for the last amount are the record's to stop: test/refund-record.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { RefundActivities } from '../src/activities';
import type { RefundOrder, RefundOutcome } from '../src/refund/model';
import type { ZuzEvent, ZuzOperationResult } from '../src/transaction/model';
import { REFUND_REFUSED } from '../src/shared/failure-codes';
import { zuzEventSignal } from '../src/transaction/workflow/messages';
import type { ProcessRefundInput } from '../src/refund/workflow';
import { bundleWorkflows, createTimeSkippingEnv } from './helpers/temporal';

let env: TestWorkflowEnvironment;
let workflowBundle: { code: string };

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

const refund = (status: ZuzOperationResult['status'], id = 'ref_1'): ZuzOperationResult => ({
  kind: 'refund',
  operationId: id,
  status,
  amount: 400,
});

/** A scripted Zuz and record for one refund: what each call answers, and what was called. */
class FakeZuz {
  calls: string[] = [];
  answer: ZuzOperationResult = refund('Succeed');
  /** What polling the payment shows of its refunds (another refund of the same payment first). */
  polled: ZuzOperationResult[] = [refund('Succeed', 'ref_other')];
  /** Zuz answers 503 to this many refund requests first. */
  unavailableTimes = 0;
  refuses = false;
  finalized: RefundOutcome[] = [];

  activities(): RefundActivities {
    return {
      requestRefund: async (order: RefundOrder) => {
        this.calls.push(`refund:${order.amount}`);
        if (this.unavailableTimes-- > 0) throw ApplicationFailure.create({ type: 'UpstreamUnavailable', message: 'Zuz answered 503' });
        if (this.refuses)
          throw ApplicationFailure.create({ type: REFUND_REFUSED, message: 'Zuz refused the refund (409)', nonRetryable: true });
        return this.answer;
      },
      readPaymentState: async () => {
        this.calls.push('poll');
        return { refunds: this.polled, refund: this.polled[this.polled.length - 1] };
      },
      finalizeRefund: async ({ outcome }: { order: RefundOrder; outcome: RefundOutcome }) => {
        this.calls.push(`finalize:${outcome.status}`);
        this.finalized.push(outcome);
      },
    };
  }
}

const fast = {
  webhookGracePeriod: '30 seconds',
  pollInitialInterval: '10 seconds',
  pollMaxInterval: '1 minute',
  refundDeadline: '1 hour',
  steps: { zuzPersistent: { startToCloseTimeout: '5 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 second' } } },
} satisfies ProcessRefundInput['options'];

async function run(
  zuz: FakeZuz,
  during?: (handle: ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>) => Promise<void>,
) {
  const taskQueue = `refund-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: zuz.activities() });
  const order: RefundOrder = {
    transactionKey: `tx-${randomUUID()}`,
    refundId: 'rf-1',
    paymentId: 'pay_1',
    amount: 400,
    reason: 'returned',
  };
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start('processRefund', {
      taskQueue,
      workflowId: `refund-${order.transactionKey}`,
      args: [{ order, options: fast } satisfies ProcessRefundInput],
    });
    await during?.(handle);
    return (await handle.result()) as RefundOutcome;
  });
}

function webhook(status: ZuzOperationResult['status'], eventId: string, operationId = 'ref_1'): ZuzEvent {
  return { ...refund(status, operationId), eventId, paymentId: 'pay_1' };
}

test('approved at once: succeeded and recorded', async () => {
  const zuz = new FakeZuz();
  const outcome = await run(zuz);
  expect(outcome).toMatchObject({ status: 'succeeded', zuz: { operationId: 'ref_1' } });
  expect(zuz.calls).toEqual(['refund:400', 'finalize:succeeded']);
});

test('pending, then approved by webhook: no poll needed', async () => {
  const zuz = new FakeZuz();
  zuz.answer = refund('Pending');
  const outcome = await run(zuz, async (handle) => {
    // Another refund's event and a duplicate of ours first: neither decides this refund.
    await handle.signal(zuzEventSignal, webhook('Failed', 'evt_other', 'ref_other'));
    await handle.signal(zuzEventSignal, webhook('Succeed', 'evt_1'));
    await handle.signal(zuzEventSignal, webhook('Failed', 'evt_1'));
  });
  expect(outcome.status).toBe('succeeded');
  expect(zuz.calls).toEqual(['refund:400', 'finalize:succeeded']);
});

test('pending, then declined by webhook: failed, so its amount is refundable again', async () => {
  const zuz = new FakeZuz();
  zuz.answer = refund('Pending');
  const outcome = await run(zuz, (handle) => handle.signal(zuzEventSignal, webhook('Failed', 'evt_2')));
  expect(outcome).toMatchObject({ status: 'failed' });
  expect(zuz.calls).toEqual(['refund:400', 'finalize:failed']);
});

test('no webhook: polling finds this refund among the payment’s refunds', async () => {
  const zuz = new FakeZuz();
  zuz.answer = refund('Pending');
  zuz.polled = [refund('Pending'), refund('Failed', 'ref_newer')];
  const outcome = await run(zuz, async () => {
    // The first polls show it pending (and a newer refund failed); then Zuz settles it.
    await env.sleep('45 seconds');
    zuz.polled = [refund('Succeed'), refund('Failed', 'ref_newer')];
  });
  expect(outcome.status).toBe('succeeded');
  expect(zuz.calls.filter((c) => c === 'poll').length).toBeGreaterThanOrEqual(2);
  expect(zuz.calls[zuz.calls.length - 1]).toBe('finalize:succeeded');
});

test('Zuz down for a while: the request is retried with its idempotency key until Zuz answers', async () => {
  const zuz = new FakeZuz();
  zuz.unavailableTimes = 4;
  const outcome = await run(zuz);
  expect(outcome.status).toBe('succeeded');
  expect(zuz.calls).toEqual(['refund:400', 'refund:400', 'refund:400', 'refund:400', 'refund:400', 'finalize:succeeded']);
});

test('Zuz refuses the refund: failed with its reason, never retried', async () => {
  const zuz = new FakeZuz();
  zuz.refuses = true;
  const outcome = await run(zuz);
  expect(outcome).toEqual({ status: 'failed', message: 'Zuz refused the refund (409)' });
  expect(zuz.calls).toEqual(['refund:400', 'finalize:failed']);
});

test('no final answer by the deadline: recorded pending (the amount stays reserved), not failed', async () => {
  const zuz = new FakeZuz();
  zuz.answer = refund('Pending');
  zuz.polled = [refund('Pending')];
  const outcome = await run(zuz);
  expect(outcome.status).toBe('pending');
  expect(zuz.calls[zuz.calls.length - 1]).toBe('finalize:pending');
});

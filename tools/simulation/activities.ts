/**
 * The transaction flow's activities over the simulated worlds. The Zuz and PMS steps are the
 * service's own (src/zuz/activities.ts) over in-process clients, so their idempotency keys and
 * their mapping of errors to ApplicationFailure types are the production ones; the database
 * steps are a fake of the record with the same names, inputs and failures.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RefundActivities, TransactionActivities } from '../../src/activities';
import type { RefundOrder, RefundOutcome } from '../../src/refund/model';
import type { RefundRecords } from '../../src/refund/record';
import { createZuzActivities } from '../../src/zuz/activities';
import type { RiskVerdict } from '../../src/transaction/activities';
import { TRANSACTION_ALREADY_PROCESSED } from '../../src/shared/failure-codes';
import { DEFAULT_MERCHANT_ID, transactionKey } from '../../src/merchants/model';
import type { TransactionRecords } from '../../src/transaction/record';
import type { TransactionRequest, TransactionView, ZuzOperationResult } from '../../src/transaction/model';
import type { ZuzClient } from '../../src/zuz';
import type { PmsClient } from '../../src/pms';
import { localActivityServerTime, type SimulatedWorld } from './world';

/** Which world a call belongs to: by the transaction's key, its customer, or its payment. */
export class WorldDirectory {
  private readonly byKey = new Map<string, SimulatedWorld>();
  private readonly byCustomer = new Map<string, SimulatedWorld>();

  add(world: SimulatedWorld): void {
    const { request } = world.plan;
    this.byKey.set(transactionKey(request.merchantId, request.transactionId), world);
    this.byCustomer.set(customerKey(request.merchantId, request.customerId), world);
  }

  remove(world: SimulatedWorld): void {
    const { request } = world.plan;
    this.byKey.delete(transactionKey(request.merchantId, request.transactionId));
    this.byCustomer.delete(customerKey(request.merchantId, request.customerId));
  }

  ofKey(key: string): SimulatedWorld {
    return found(this.byKey.get(key), `transaction ${key}`);
  }

  /** PMS keeps each merchant's customers apart: two merchants may use one customer id (plan.ts pairs seeds so). */
  ofCustomer(merchantId: string | undefined, customerId: string): SimulatedWorld {
    return found(this.byCustomer.get(customerKey(merchantId, customerId)), `customer ${customerId} of ${merchantId}`);
  }

  /** Payment ids carry their seed (pay_<seed>_<n>), as the flow's only handle on a payment. */
  ofPayment(paymentId: string): SimulatedWorld {
    const seed = Number(paymentId.split('_')[1]);
    const world = [...this.byKey.values()].find((w) => w.plan.seed === seed);
    return found(world, `payment ${paymentId}`);
  }
}

const customerKey = (merchantId: string | undefined, customerId: string) => `${merchantId ?? DEFAULT_MERCHANT_ID}/${customerId}`;

function found<T>(value: T | undefined, what: string): T {
  // A plain Error: the step retries, and the seed's run shows the flow asking for something the world never made.
  if (value === undefined) throw new Error(`The simulation knows no ${what}`);
  return value;
}

/** Zuz as the service's client sees it, over each payment's world (the flow's steps and the reconciliation call it alike). */
export function simulatedZuzClient(worlds: WorldDirectory): ZuzClient {
  const zuz = {
    createPayment: (input: { orderId: string }, key: string) => worlds.ofKey(input.orderId).zuz.createPayment(input as never, key),
    createAuthorization: (paymentId: string, input: { token: string; reconciliationId: string }, key: string) =>
      worlds.ofPayment(paymentId).zuz.createAuthorization(paymentId, input, key),
    createCapture: (paymentId: string, input: { amount: number; reconciliationId: string }, key: string) =>
      worlds.ofPayment(paymentId).zuz.createCapture(paymentId, input, key),
    createVoid: (paymentId: string, key: string): Promise<ZuzOperationResult> => worlds.ofPayment(paymentId).zuz.createVoid(paymentId, key),
    createRefund: (paymentId: string, input: { amount: number; reason: string; reconciliationId: string }, key: string) =>
      worlds.ofPayment(paymentId).zuz.createRefund(paymentId, input, key),
    readPayment: (paymentId: string) => worlds.ofPayment(paymentId).zuz.readPayment(paymentId),
  };
  // The production code takes the HTTP client's class; this object has the same methods.
  return zuz as unknown as ZuzClient;
}

/**
 * The records are the service's own (src/transaction/record.ts, src/refund/record.ts) over an embedded database the runner
 * holds: the payment linked as soon as it is opened, refunds' reservations, repeats and the
 * asked-Zuz mark are production's. The flow's own database steps use the world's SimulatedRecord.
 */
export function createSimulatedActivities(
  worlds: WorldDirectory,
  records: TransactionRecords,
  refunds: RefundRecords,
  serverNow: (execution: { workflowId: string; runId: string }) => Promise<number>,
): TransactionActivities & RefundActivities {
  const pms = {
    findPaymentMethod: (merchantId: string, customerId: string, paymentMethodId: string) =>
      worlds.ofCustomer(merchantId, customerId).pms.findPaymentMethod(merchantId, customerId, paymentMethodId),
  };
  const zuzActivities = createZuzActivities(simulatedZuzClient(worlds), pms as unknown as PmsClient, {
    paymentOpened: (key, paymentId) => records.linkPayment(key, paymentId),
    refundAsked: (order) => refunds.markAsked(order.transactionKey, order.refundId),
  });
  return {
    ...zuzActivities,
    // Local activities since flow v10: the worlds must see them at the server's time.
    createPayment: atServerTime((input) => zuzActivities.createPayment(input), serverNow),
    createAuthorization: atServerTime((input) => zuzActivities.createAuthorization(input), serverNow),
    recordTransaction: async (request: TransactionRequest) => {
      const world = worlds.ofKey(transactionKey(request.merchantId, request.transactionId));
      if (!(await world.record.bind(Context.current().info.workflowExecution?.runId ?? ''))) {
        throw ApplicationFailure.create({
          type: TRANSACTION_ALREADY_PROCESSED,
          message: `Transaction ${request.transactionId} was processed by another workflow run; this run does nothing`,
          nonRetryable: true,
        });
      }
    },
    assignAccountId: (input: { transactionId: string; customerId: string }) => worlds.ofKey(input.transactionId).record.assignAccount(),
    screenTransaction: (input: { transactionId: string; customerId: string; amount: number }): Promise<RiskVerdict> =>
      worlds.ofKey(input.transactionId).record.screen(),
    noteAuthorized: (input: { transactionId: string; authorizedAmount: number }) =>
      worlds.ofKey(input.transactionId).record.noteAuthorized(input.authorizedAmount),
    finalizeTransaction: (view: TransactionView) => worlds.ofKey(transactionKey(view.merchantId, view.transactionId)).record.finalize(view),
    finalizeRefund: (input: { order: RefundOrder; outcome: RefundOutcome }) =>
      refunds.finalize(input.order.transactionKey, input.order.refundId, input.outcome),
  };
}

/**
 * The activity, run with the workflow's server time as the worlds' "now" when it runs as a local
 * activity: a local activity's scheduled time is the worker's clock, which the test server's
 * skipping has left behind.
 */
function atServerTime<Args extends unknown[], Result>(
  activity: (...args: Args) => Promise<Result>,
  serverNow: (execution: { workflowId: string; runId: string }) => Promise<number>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    const { isLocal, workflowExecution } = Context.current().info;
    if (!isLocal || !workflowExecution) return activity(...args);
    return localActivityServerTime.run(await serverNow(workflowExecution), () => activity(...args));
  };
}

/**
 * The transaction flow's activities over the simulated worlds. The Zuz and PMS steps are the
 * service's own (src/activities/zuz.ts) over in-process clients, so their idempotency keys and
 * their mapping of errors to ApplicationFailure types are the production ones; the database
 * steps are a fake of the record with the same names, inputs and failures.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RefundActivities, TransactionActivities } from '../../src/activities';
import type { RefundOrder, RefundOutcome } from '../../src/domain/refund';
import type { RefundRecords } from '../../src/infrastructure/refund-record';
import { createZuzActivities } from '../../src/activities/zuz';
import type { RiskVerdict } from '../../src/activities/database';
import { TRANSACTION_ALREADY_PROCESSED } from '../../src/domain/errors';
import { transactionKey } from '../../src/domain/merchant';
import type { TransactionRequest, TransactionView, ZuzOperationResult } from '../../src/domain/transaction';
import type { ZuzClient } from '../../src/infrastructure/zuz';
import type { PmsClient } from '../../src/infrastructure/pms';
import type { SimulatedWorld } from './world';

/** Which world a call belongs to: by the transaction's key, its customer, or its payment. */
export class WorldDirectory {
  private readonly byKey = new Map<string, SimulatedWorld>();
  private readonly byCustomer = new Map<string, SimulatedWorld>();

  add(world: SimulatedWorld): void {
    const { request } = world.plan;
    this.byKey.set(transactionKey(request.merchantId, request.transactionId), world);
    this.byCustomer.set(request.customerId, world);
  }

  remove(world: SimulatedWorld): void {
    const { request } = world.plan;
    this.byKey.delete(transactionKey(request.merchantId, request.transactionId));
    this.byCustomer.delete(request.customerId);
  }

  ofKey(key: string): SimulatedWorld {
    return found(this.byKey.get(key), `transaction ${key}`);
  }

  ofCustomer(customerId: string): SimulatedWorld {
    return found(this.byCustomer.get(customerId), `customer ${customerId}`);
  }

  /** Payment ids carry their seed (pay_<seed>_<n>), as the flow's only handle on a payment. */
  ofPayment(paymentId: string): SimulatedWorld {
    const seed = Number(paymentId.split('_')[1]);
    const world = [...this.byKey.values()].find((w) => w.plan.seed === seed);
    return found(world, `payment ${paymentId}`);
  }
}

function found<T>(value: T | undefined, what: string): T {
  // A plain Error: the step retries, and the seed's run shows the flow asking for something the world never made.
  if (value === undefined) throw new Error(`The simulation knows no ${what}`);
  return value;
}

/**
 * The refunds' record is the service's own (src/infrastructure/refund-record.ts) over an embedded
 * database the runner holds, so reservations, repeats and the asked-Zuz mark are production's.
 */
export function createSimulatedActivities(worlds: WorldDirectory, refunds: RefundRecords): TransactionActivities & RefundActivities {
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
  const pms = {
    findPaymentMethod: (merchantId: string, customerId: string, paymentMethodId: string) =>
      worlds.ofCustomer(customerId).pms.findPaymentMethod(merchantId, customerId, paymentMethodId),
  };
  // The production activities take the HTTP clients' classes; these objects have the same methods.
  const zuzActivities = createZuzActivities(zuz as unknown as ZuzClient, pms as unknown as PmsClient, {
    // The transaction's record is the world's (SimulatedRecord); the refund's is the embedded database's.
    paymentOpened: async () => {},
    refundAsked: (order) => refunds.markAsked(order.transactionKey, order.refundId),
  });
  return {
    ...zuzActivities,
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
    finalizeTransaction: (view: TransactionView) => worlds.ofKey(transactionKey(view.merchantId, view.transactionId)).record.finalize(view),
    finalizeRefund: (input: { order: RefundOrder; outcome: RefundOutcome }) =>
      refunds.finalize(input.order.transactionKey, input.order.refundId, input.outcome),
  };
}

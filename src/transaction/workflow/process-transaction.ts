/**
 * One POS payment transaction, told as the business says it:
 *   record the transaction, assign the customer's account, screen it for risk, authorize the
 *   card at Zuz, capture the money (or release it), and record the outcome.
 * Everything non-linear — waiting for webhooks, polling, retries, compensation — lives one
 * level down, in the functions this one calls.
 */
import type { TransactionRequest, TransactionView } from '../model';
import { flowOptions, type FlowOverrides } from '../../workflows/options';
import { TransactionState } from './transaction-state';
import { databaseSteps, zuzRequestSteps } from '../../workflows/activities';
import { authorize } from './authorize';
import { captureOrRelease } from './capture';
import { screenForRisk } from './screen-risk';
import { handleClientRequests, handleZuzEvents } from './handlers';

export interface ProcessTransactionInput {
  request: TransactionRequest;
  /** Overrides of the flow's waits; the defaults are the production values. */
  options?: FlowOverrides;
}

export async function processTransaction({ request, options }: ProcessTransactionInput): Promise<TransactionView> {
  const flow = flowOptions(options);
  const database = databaseSteps(flow.steps.database);
  const zuzRequests = zuzRequestSteps(flow.steps.zuzCommands);
  const tx = new TransactionState(request);
  handleZuzEvents(tx);
  handleClientRequests(tx);

  await tx.step('recordTransaction', () => database.recordTransaction(request));
  const accountId = await tx.step('assignAccountId', () =>
    database.assignAccountId({ transactionId: tx.key, customerId: request.customerId }),
  );
  tx.assignAccount(accountId);

  const cleared = await screenForRisk(tx, database);
  const authorized = cleared && (await authorize(tx, flow, zuzRequests));
  if (authorized) await captureOrRelease(tx, flow);

  await tx.step('finalizeTransaction', () => database.finalizeTransaction(tx.view()));
  return tx.view();
}

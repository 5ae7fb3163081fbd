/**
 * The workflow's answers to messages: Zuz webhooks (signals), the state query, and the
 * client's manual capture and cancel (updates, whose validators refuse what the state forbids).
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { isTerminal } from '../model';
import { INVALID_TRANSITION } from '../../shared/failure-codes';
import { cancelUpdate, captureUpdate, decisionUpdate, MAX_DECISION_WAIT_SECONDS, transactionQuery, zuzEventSignal } from './messages';
import type { TransactionState } from './transaction-state';

export function handleZuzEvents(tx: TransactionState): void {
  setHandler(zuzEventSignal, (event) => {
    tx.acceptEvent(event);
  });
}

export function handleClientRequests(tx: TransactionState): void {
  setHandler(transactionQuery, () => tx.view());
  // Read-only: it waits and answers, changing nothing (so it has no validator to pass).
  setHandler(decisionUpdate, async ({ waitSeconds }) => {
    await condition(() => tx.status !== 'processing', Math.max(0, Math.min(waitSeconds, MAX_DECISION_WAIT_SECONDS)) * 1000);
    return tx.view();
  });
  // Validators must not change state (a rejected update leaves no trace in history); handlers do.
  setHandler(
    captureUpdate,
    async ({ amount }) => {
      tx.clientDecided({ action: 'capture', amount });
      await condition(() => tx.status !== 'authorized');
      return tx.view();
    },
    {
      validator: ({ amount }) => {
        if (tx.request.capture !== 'manual') refuse('This transaction captures automatically');
        if (tx.status !== 'authorized' || tx.decision) refuse(`A capture is not possible while the transaction is ${tx.status}`);
        if (amount !== undefined && (!Number.isInteger(amount) || amount <= 0 || amount > tx.authorizedAmount)) {
          refuse(`The capture amount must be a positive integer no greater than the authorized ${tx.authorizedAmount}`);
        }
      },
    },
  );
  setHandler(
    cancelUpdate,
    async () => {
      tx.clientDecided({ action: 'cancel' });
      if (tx.status === 'authorized') await condition(() => tx.status !== 'authorized');
      return tx.view();
    },
    {
      validator: () => {
        if (isTerminal(tx.status) || tx.status === 'capturing' || tx.status === 'releasing' || tx.decision) {
          refuse(`A cancel is not possible while the transaction is ${tx.status}`);
        }
      },
    },
  );
}

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: INVALID_TRANSITION, message, nonRetryable: true });
}

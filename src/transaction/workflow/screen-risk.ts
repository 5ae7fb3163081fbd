/** Risk screening (added in v2): a velocity and limit check before any money is touched. */
import type { TransactionState } from './transaction-state';
import type { DatabaseSteps } from '../../workflows/activities';
import { riskScreeningApplies } from '../../workflows/patches';

/** Returns true when the transaction may go on to authorization; otherwise it is declined. */
export async function screenForRisk(tx: TransactionState, database: DatabaseSteps): Promise<boolean> {
  // Transactions that started before this step existed go on without it.
  if (!riskScreeningApplies()) return true;

  const { customerId, amount } = tx.request;
  const transactionId = tx.key;
  const verdict = await tx.step(
    'screenTransaction',
    () => database.screenTransaction({ transactionId, customerId, amount }),
    ({ cleared }) => (cleared ? 'cleared' : 'rejected'),
  );
  if (verdict.cleared) return true;
  tx.fail('declined', { code: 'risk_rejected', message: verdict.reason });
  return false;
}

import type { TransactionActivities } from '../../src/activities';

/** Zuz's answer to an operation that succeeded at once. */
const succeeded = (kind: 'authorization' | 'capture' | 'void', amount = 1000) => ({
  kind,
  operationId: `${kind}_1`,
  status: 'Succeed' as const,
  amount,
});

/**
 * Activities that approve everything, for tests of the workflow's shape rather than its branches:
 * each call's name goes to `calls` (when given), and recording the transaction takes `recordMs`.
 */
export function approvingActivities({ calls = [], recordMs = 0 }: { calls?: string[]; recordMs?: number } = {}): TransactionActivities {
  const ran = <T>(name: string, result: T): Promise<T> => {
    calls.push(name);
    return Promise.resolve(result);
  };
  return {
    recordTransaction: async () => {
      calls.push('recordTransaction');
      if (recordMs > 0) await new Promise((resolve) => setTimeout(resolve, recordMs));
    },
    assignAccountId: () => ran('assignAccountId', 'acct_1'),
    screenTransaction: () => ran('screenTransaction', { cleared: true as const }),
    createPayment: () => ran('createPayment', { paymentId: 'pay_1' }),
    createAuthorization: () => ran('createAuthorization', { paymentId: 'pay_1', authorization: succeeded('authorization') }),
    capturePayment: ({ amount }: { amount: number }) => ran('capturePayment', succeeded('capture', amount)),
    voidAuthorization: () => ran('voidAuthorization', succeeded('void')),
    readPaymentState: () => ran('readPaymentState', {}),
    noteAuthorized: () => ran('noteAuthorized', undefined),
    finalizeTransaction: () => ran('finalizeTransaction', undefined),
  };
}

/** The workflows this service's worker runs (the bundle's entry point). */
export { processTransaction } from '../transaction/workflow/process-transaction';
export { reconcileTransactions } from '../reconciliation/workflow';
export { processRefund } from '../refund/workflow';
export { deliverMerchantEvent } from '../merchant-events/workflow';

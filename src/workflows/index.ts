/** The workflows this service's worker runs (the bundle's entry point). */
export { processTransaction } from './process-transaction';
export { reconcileTransactions } from './reconcile';
export { processRefund } from './refund';
export { deliverMerchantEvent } from './deliver-merchant-event';

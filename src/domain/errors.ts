/** Error types that cross the activity/workflow boundary (ApplicationFailure `type`s). */

/** PMS knows no such payment method for this customer. */
export const PAYMENT_METHOD_NOT_FOUND = 'PaymentMethodNotFound';
/** The payment method exists but cannot pay: expired or blocked, or Zuz refused its token. */
export const PAYMENT_METHOD_UNUSABLE = 'PaymentMethodUnusable';
/** The same transaction id was recorded before with a different request. */
export const TRANSACTION_CONFLICT = 'TransactionConflict';

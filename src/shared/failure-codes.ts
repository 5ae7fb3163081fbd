/**
 * Every failure type that crosses the activity/workflow/client boundary (the `type` of an
 * ApplicationFailure), defined once here so that who throws and who catches agree.
 */

/** PMS knows no such payment method for this customer. */
export const PAYMENT_METHOD_NOT_FOUND = 'PaymentMethodNotFound';
/** The payment method exists but cannot pay: expired or blocked, or Zuz refused its token. */
export const PAYMENT_METHOD_UNUSABLE = 'PaymentMethodUnusable';
/** The same transaction id was recorded before with a different request. */
export const TRANSACTION_CONFLICT = 'TransactionConflict';
/** The transaction was bound to another workflow run, which acted for it: a second run must not. */
export const TRANSACTION_ALREADY_PROCESSED = 'TransactionAlreadyProcessed';
/** A provider could not be reached or answered 5xx/429: a retry may succeed. */
export const UPSTREAM_UNAVAILABLE = 'UpstreamUnavailable';
/** A provider definitely refused the request (4xx other than 429), e.g. Zuz's 409 on a void. */
export const UPSTREAM_REFUSED = 'UpstreamRefused';
/** A client's capture or cancel that the transaction's state does not allow (the API answers 409). */
export const INVALID_TRANSITION = 'InvalidTransition';

/** Zuz refused a refund (4xx): the refund failed and its amount is refundable again. */
export const REFUND_REFUSED = 'RefundRefused';

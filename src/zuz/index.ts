/**
 * The Zuz adapter: the one module the rest of the service imports to talk to Zuz or hear from
 * it. Everything that knows Zuz's wire format (its schemas, its webhook signature, how its
 * payments and transactions read as the domain's ZuzOperationResult and ZuzEvent) stays in this
 * folder; what crosses out is domain types. Only the Zuz simulator, which produces the wire
 * format, reaches into wire.ts and signature.ts directly.
 */
export { ZuzClient, type ZuzClientConfig } from './client';
export type { ZuzPaymentState } from './results';
export { verifyZuzWebhook, type ZuzWebhookOptions, type ZuzWebhookRequest, type ZuzWebhookVerdict } from './webhook';
/** The webhook's header and body as Zuz sends them, for the API's OpenAPI document only. */
export { zuzEventType, zuzWebhookEvent } from './wire';

/** A webhook event as the provider sends it: body, signed headers. */
import type { ZuzTransaction, ZuzWebhookEvent } from '../../../../src/zuz/wire';
import { signWebhook } from '../../../../src/zuz/signature';
import type { ZuzConfig } from '../config';
import { newId, newRequestId } from '../ids';
import type { TransactionKind } from '../payments';

export type EventAction = 'create' | 'update';

export interface OutgoingEvent {
  eventType: string;
  paymentId: string;
  body: ZuzWebhookEvent;
  headers: Record<string, string>;
}

export function buildEvent(
  config: ZuzConfig,
  paymentId: string,
  kind: TransactionKind,
  action: EventAction,
  transaction: ZuzTransaction,
  requestId: string = newRequestId(),
): OutgoingEvent {
  const eventType = `payment.${kind}.${action}`;
  const body: ZuzWebhookEvent = {
    id: newId('evt'),
    created: new Date().toISOString(),
    account_id: config.accountId,
    app_id: config.appId,
    payment_id: paymentId,
    // A copy: the transaction may resolve later, but this event reports it as it is now.
    data: structuredClone(transaction),
  };
  return {
    eventType,
    paymentId,
    body,
    headers: {
      'content-type': 'application/json',
      'event-type': eventType,
      'x-payments-os-env': config.environment,
      'x-zooz-request-id': requestId,
      signature: signWebhook({ eventType, body }, config.privateKey),
    },
  };
}

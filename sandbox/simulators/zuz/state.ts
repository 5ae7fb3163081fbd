/** Everything one running Zuz simulator holds, passed to the operations and routes. */
import type { ZuzConfig } from './config';
import type { FaultBook } from './faults';
import type { IdempotencyStore } from './idempotency';
import type { Ledger } from './ledger';
import type { PaymentStore } from './payments';
import type { Scheduler } from './scheduler';
import type { WebhookDispatcher } from './webhooks/dispatcher';

export interface ZuzState {
  config: ZuzConfig;
  payments: PaymentStore;
  ledger: Ledger;
  faults: FaultBook;
  idempotency: IdempotencyStore;
  scheduler: Scheduler;
  webhooks: WebhookDispatcher;
}

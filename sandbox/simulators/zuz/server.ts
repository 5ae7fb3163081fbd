/** Starts the Zuz simulator in-process: what tests, the local stack and the standalone entry use. */
import { listen } from '../shared/listen';
import { Sleeper } from '../shared/sleeper';
import { resolveConfig, type ZuzSimulatorOptions } from './config';
import { FaultBook, type ZuzFaults } from './faults';
import { createZuzApp } from './http/app';
import { IdempotencyStore } from './idempotency';
import { Ledger, type LedgerEntry, type LedgerFilter } from './ledger';
import { PaymentStore } from './payments';
import { Scheduler } from './scheduler';
import type { ZuzState } from './state';
import { hasPendingTransaction } from './transitions';
import { WebhookDeliverer, type WebhookDelivery } from './webhooks/deliverer';
import { WebhookDispatcher } from './webhooks/dispatcher';
import { WebhookPoster } from './webhooks/post';

export interface ZuzSimulator {
  url: string;
  setWebhookUrl(url: string): void;
  ledger: { entries(filter?: LedgerFilter): LedgerEntry[] };
  /** Every webhook delivery attempt so far, oldest first. */
  deliveries(): WebhookDelivery[];
  /** Replaces the faults for every payment, or for one payment id; `{}` clears them. */
  setFaults(faults: ZuzFaults, paymentId?: string): void;
  /** Resolves when no timer (pending resolution, webhook retry or delay) and no delivery is pending. */
  idle(): Promise<void>;
  /** Stops the server and cancels pending timers and deliveries. */
  close(): Promise<void>;
}

export async function startZuzSimulator(options: ZuzSimulatorOptions): Promise<ZuzSimulator> {
  const config = resolveConfig(options);
  const scheduler = new Scheduler(config.timeScale);
  const payments = new PaymentStore();
  const faults = new FaultBook();
  const poster = new WebhookPoster();
  const sleeper = new Sleeper();
  let webhookUrl = options.webhookUrl;
  const deliverer = new WebhookDeliverer(scheduler, poster, () => webhookUrl, options.webhookTimeoutMs);
  const webhooks = new WebhookDispatcher(
    scheduler,
    deliverer,
    faults,
    (paymentId) => {
      const payment = payments.get(paymentId);
      return payment !== undefined && hasPendingTransaction(payment);
    },
    () => webhookUrl,
  );
  const ledger = new Ledger();
  const state: ZuzState = {
    config,
    payments,
    ledger,
    faults,
    idempotency: IdempotencyStore.scaled(config.timeScale),
    scheduler,
    webhooks,
  };
  const server = await listen(createZuzApp(state, deliverer, sleeper), options.port ?? 0, options.host ?? '127.0.0.1');

  return {
    url: server.url,
    setWebhookUrl: (url) => {
      webhookUrl = url;
    },
    ledger: { entries: (filter) => ledger.entries(filter) },
    deliveries: () => deliverer.deliveries(),
    setFaults: (next, paymentId) => faults.set(next, paymentId),
    idle: () => scheduler.idle(),
    close: async () => {
      scheduler.close();
      webhooks.close();
      poster.abortAll();
      sleeper.cancelAll();
      await server.close();
      await scheduler.idle();
    },
  };
}

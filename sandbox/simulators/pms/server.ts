/** Starts the PMS simulator in-process: what tests and the standalone entry point both use. */
import { createPmsApp } from './app';
import { PmsFaultBook, type PmsFaults } from './faults';
import { DEFAULT_MERCHANT_ID, PaymentMethodStore, type PaymentMethod } from './paymentMethods';
import { listen } from '../shared/listen';
import { Sleeper } from '../shared/sleeper';

export interface PmsSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The bearer token every request must carry. */
  apiKey: string;
  /** The merchants the mock cards are seeded for (each its own copy); default `default` only. */
  merchants?: readonly string[];
  /** Seed the mock cards for any other merchant on its first lookup (merchants created at run time). */
  seedOnFirstLookup?: boolean;
}

export interface PmsSimulator {
  url: string;
  /** Adds (or replaces) a method of a merchant's customer; the merchant is `default` when not given. */
  addPaymentMethod(method: PaymentMethod, merchantId?: string): void;
  /** Replaces the current faults; `{}` clears them. */
  setFaults(faults: PmsFaults): void;
  close(): Promise<void>;
}

export async function startPmsSimulator(options: PmsSimulatorOptions): Promise<PmsSimulator> {
  const store = new PaymentMethodStore(options.merchants?.length ? options.merchants : [DEFAULT_MERCHANT_ID], options.seedOnFirstLookup);
  const faults = new PmsFaultBook();
  const sleeper = new Sleeper();
  const app = createPmsApp({ apiKey: options.apiKey, store, faults, sleeper });
  const server = await listen(app, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: server.url,
    addPaymentMethod: (method, merchantId = DEFAULT_MERCHANT_ID) => store.add(merchantId, method),
    setFaults: (next) => faults.set(next),
    close: async () => {
      sleeper.cancelAll();
      await server.close();
    },
  };
}

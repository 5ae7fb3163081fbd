/** Starts the PMS simulator in-process: what tests and the standalone entry point both use. */
import { createPmsApp } from './app';
import { PmsFaultBook, type PmsFaults } from './faults';
import { PaymentMethodStore, type PaymentMethod } from './paymentMethods';
import { listen } from '../shared/listen';
import { Sleeper } from '../shared/sleeper';

export interface PmsSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The bearer token every request must carry. */
  apiKey: string;
}

export interface PmsSimulator {
  url: string;
  addPaymentMethod(method: PaymentMethod): void;
  /** Replaces the current faults; `{}` clears them. */
  setFaults(faults: PmsFaults): void;
  close(): Promise<void>;
}

export async function startPmsSimulator(options: PmsSimulatorOptions): Promise<PmsSimulator> {
  const store = new PaymentMethodStore();
  const faults = new PmsFaultBook();
  const sleeper = new Sleeper();
  const app = createPmsApp({ apiKey: options.apiKey, store, faults, sleeper });
  const server = await listen(app, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: server.url,
    addPaymentMethod: (method) => store.add(method),
    setFaults: (next) => faults.set(next),
    close: async () => {
      sleeper.cancelAll();
      await server.close();
    },
  };
}

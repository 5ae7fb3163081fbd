/** The Zuz simulator's public surface: start it in-process, and the types tests and tools read (faults, ledger, webhook log). */
export { startZuzSimulator, type ZuzSimulator } from './server';
export type { ZuzSimulatorOptions, ZuzEnvironment } from './config';
export type { ZuzFaults, WebhookMode } from './faults';
export type { LedgerEntry, LedgerFilter } from './ledger';
export type { WebhookDelivery } from './webhooks/deliverer';

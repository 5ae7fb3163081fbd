export { startZuzSimulator, type ZuzSimulator } from './server';
export type { ZuzSimulatorOptions, ZuzEnvironment } from './config';
export type { ZuzFaults, WebhookMode } from './faults';
export type { LedgerEntry, LedgerFilter } from './ledger';
export type { WebhookDelivery } from './webhooks/deliverer';

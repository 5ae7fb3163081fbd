/** The PMS simulator's public surface: start it in-process, and the types its callers use. */
export { startPmsSimulator, type PmsSimulator, type PmsSimulatorOptions } from './server';
export type { PmsFaults } from './faults';
export type { PaymentMethod } from './paymentMethods';

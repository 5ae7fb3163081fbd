export { startPmsSimulator, type PmsSimulator, type PmsSimulatorOptions } from './server';
export type { PmsFaults } from './faults';
export type { PaymentMethod } from './paymentMethods';

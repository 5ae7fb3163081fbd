/** All activities of the worker, built from their dependencies (so tests can hand in their own). */
import type { Database } from '../infrastructure/database';
import type { PmsClient } from '../infrastructure/pms';
import type { ZuzClient } from '../infrastructure/zuz';
import { createDatabaseActivities, type RiskLimits } from './database';
import { createZuzActivities } from './zuz';

export interface ActivityDependencies {
  db: Database;
  zuz: ZuzClient;
  pms: PmsClient;
  risk: RiskLimits;
}

export function createActivities({ db, zuz, pms, risk }: ActivityDependencies) {
  return { ...createDatabaseActivities(db, risk), ...createZuzActivities(zuz, pms) };
}

export type Activities = ReturnType<typeof createActivities>;

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
  /** The workflow run an activity works for; by default the running activity's own (only the bench's non-durable baseline, which has no run, passes its own). */
  currentRunId?: () => string | undefined;
}

export function createActivities({ db, zuz, pms, risk, currentRunId }: ActivityDependencies) {
  return { ...createDatabaseActivities(db, risk, currentRunId), ...createZuzActivities(zuz, pms) };
}

export type Activities = ReturnType<typeof createActivities>;

/**
 * Bench-only stand-in for src/workflows/patches.ts in the lever's workflow bundle: every patch as
 * shipped, except that no step runs as a local activity: the database steps (local since v8) and
 * the requests to Zuz before the till hears (local since v10) run as ordinary activities, the flow's
 * shape before v8. The bench measures what local activities bought on the same build, side by side.
 */
export * from '../../../src/workflows/patches';

export function databaseStepsRunLocally(): boolean {
  return false;
}

export function zuzRequestsRunLocally(): boolean {
  return false;
}

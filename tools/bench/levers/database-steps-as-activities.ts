/**
 * Bench-only stand-in for src/workflows/patches.ts in the lever's workflow bundle: every patch as
 * shipped, except that the database steps run as ordinary activities (the flow before v8), so the
 * bench measures what local activities bought on the same build, side by side.
 */
export * from '../../../src/workflows/patches';

export function databaseStepsRunLocally(): boolean {
  return false;
}

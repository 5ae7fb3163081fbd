/** Stands in for src/workflows/patches.ts: the same change deployed WITHOUT patched(), the mistake the replay suite must catch. */
export const RISK_SCREENING_PATCH = 'risk-screening';

export function riskScreeningApplies(): boolean {
  return true;
}

export function voidWhenCaptureNeverArrived(): boolean {
  return true;
}

export function releaseUnansweredAuthorizations(): boolean {
  return true;
}

/** Not the change under test: the database steps stay ordinary activities, as in the v1 histories. */
export function databaseStepsRunLocally(): boolean {
  return false;
}

/** Not the change under test either: v1 told the merchant nothing of the authorization. */
export function merchantIsToldOfAuthorization(): boolean {
  return false;
}

export function zuzRequestsRunLocally(): boolean {
  return false;
}

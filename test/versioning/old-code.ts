/** Stands in for src/workflows/patches.ts in the v1 worker's bundle: the code before risk screening existed. */
export const RISK_SCREENING_PATCH = 'risk-screening';

export function riskScreeningApplies(): boolean {
  return false;
}

export function voidWhenCaptureNeverArrived(): boolean {
  return false;
}

export function releaseUnansweredAuthorizations(): boolean {
  return false;
}

export function databaseStepsRunLocally(): boolean {
  return false;
}

export function merchantIsToldOfAuthorization(): boolean {
  return false;
}

export function zuzRequestsRunLocally(): boolean {
  return false;
}

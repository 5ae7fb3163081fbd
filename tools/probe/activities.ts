/** The probe's only activity: does nothing, so a run's time is Temporal's dispatch and nothing else. */
export function noop(step: number): Promise<number> {
  return Promise.resolve(step);
}

/**
 * Per-step overhead: each step of the flow as its journal times it (startedAt -> endedAt,
 * workflow time, which Temporal sets at the start of each workflow task) against the same call
 * made directly in the baseline. The difference is what the engine adds to that step:
 * scheduling the activity, dispatching it to a worker, recording its result, the next
 * workflow task.
 */
import { percentile } from '../chaos/stats';

export interface StepOverhead {
  step: string;
  flowP50Ms: number | null;
  baselineP50Ms: number | null;
  overheadP50Ms: number | null;
}

export function stepOverheads(flow: Map<string, number[]>, baseline: Map<string, number[]>): StepOverhead[] {
  return [...flow.keys()].map((step) => {
    const flowP50 = percentile(flow.get(step) ?? [], 50) ?? null;
    const baselineP50 = percentile(baseline.get(step) ?? [], 50) ?? null;
    return {
      step,
      flowP50Ms: flowP50,
      baselineP50Ms: baselineP50 === null ? null : round(baselineP50),
      overheadP50Ms: flowP50 === null || baselineP50 === null ? null : round(flowP50 - baselineP50),
    };
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

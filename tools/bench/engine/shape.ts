/**
 * The engine-ceiling workflow's shape: the measured flow's sequence of activities, the provider
 * answers that come back as signals, the wait for the final answer (with its grace timer), the
 * search-attribute upserts and the patch markers — with nothing inside the activities. The
 * sequence is read from a real history of the flow (shape-from-history.ts), so it follows the
 * flow as it changes; variants show what a change of the flow's shape would buy.
 */
import { defineSignal } from '@temporalio/workflow';

export type EngineStep =
  /** A no-op activity (or local activity); `signalsAfterMs`: the "provider" signals the workflow that long after it ran (Zuz's webhooks). */
  | { kind: 'activity'; name: string; local?: boolean; signalsAfterMs?: number[] }
  /** Waits until this many signals have come in all, with a timer of `graceMs` (the flow's webhook grace period). */
  | { kind: 'wait'; untilSignals: number; graceMs: number }
  | { kind: 'upsert' }
  /** A `patched()` marker, as the flow records one per patch it checks. */
  | { kind: 'marker' };

export interface EngineInput {
  steps: EngineStep[];
}

/** The provider's answers to an activity, as a signal. */
export const resultSignal = defineSignal('result');

export const ENGINE_WORKFLOW = 'engineCeiling';

/** The flow's short database steps: local-activity candidates. */
const DATABASE_STEPS = new Set(['recordTransaction', 'assignAccountId', 'screenTransaction', 'finalizeTransaction']);

export const ENGINE_VARIANTS = {
  /** The same activities, signals, timer, upserts and markers as the measured flow. */
  'same-shape': (steps: EngineStep[]) => steps,
  /** The short database steps as local activities (no task queue round trip, fewer events). */
  'local-db-steps': (steps: EngineStep[]) =>
    steps.map((step) => (step.kind === 'activity' && DATABASE_STEPS.has(step.name) ? { ...step, local: true } : step)),
  /** recordTransaction and assignAccountId as one activity: the workflow needs nothing between them. */
  'fewer-activities': (steps: EngineStep[]) => steps.filter((step) => !(step.kind === 'activity' && step.name === 'assignAccountId')),
} satisfies Record<string, (steps: EngineStep[]) => EngineStep[]>;

export type EngineVariant = keyof typeof ENGINE_VARIANTS;

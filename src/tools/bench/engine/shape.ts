/**
 * The engine-ceiling workflow's shape: the measured flow's sequence of activities, the wait for
 * the provider's answer (a signal, with a timer as the flow's webhook grace period) and the
 * search-attribute upserts, with nothing inside the activities. Variants show what a change of
 * the flow's shape would buy without touching the flow.
 */
import { defineSignal } from '@temporalio/workflow';

/**
 * - `activity`: a no-op activity; `local`: the same as a local activity;
 * - `request`: the authorization call — an activity that answers at once, and whose result
 *   comes back as a signal `signalDelayMs` later (as Zuz's webhook does through the API);
 * - `wait`: waits for that signal, with a timer of `graceMs` (the flow's webhook grace period);
 * - `upsert`: one search-attribute upsert (the flow's status changes).
 */
export type EngineStep = 'activity' | 'local' | 'request' | 'wait' | 'upsert';

export interface EngineInput {
  steps: EngineStep[];
  signalDelayMs: number;
  graceMs: number;
}

/**
 * The flow's happy path for a pending-then-approved card with automatic capture:
 * recordTransaction, assignAccountId, screenTransaction, createAuthorization, (webhook),
 * status "capturing", capturePayment, status "succeeded", finalizeTransaction.
 */
const FLOW: EngineStep[] = ['activity', 'activity', 'activity', 'request', 'wait', 'upsert', 'activity', 'upsert', 'activity'];

export const ENGINE_VARIANTS = {
  /** The same activities, signal, timer and upserts as the measured flow. */
  'same-shape': FLOW,
  /** The four database steps (record, assign, screen, finalize) as local activities. */
  'local-db-steps': ['local', 'local', 'local', 'request', 'wait', 'upsert', 'activity', 'upsert', 'local'],
  /** recordTransaction and assignAccountId as one activity (the second adds nothing a workflow needs apart). */
  'fewer-activities': ['activity', 'activity', 'request', 'wait', 'upsert', 'activity', 'upsert', 'activity'],
} satisfies Record<string, EngineStep[]>;

export type EngineVariant = keyof typeof ENGINE_VARIANTS;

/** The provider's answer to a `request` step. */
export const resultSignal = defineSignal('result');

export const ENGINE_WORKFLOW = 'engineCeiling';

/**
 * The probe's workflows: `steps` sequential no-op activities, as regular activities or as local
 * activities. Self-contained (no import from src/), bundled by the probe with bundleWorkflowCode.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function sequentialNoops(steps: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += await noop(i);
  return sum;
}

export async function sequentialLocalNoops(steps: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += await local.noop(i);
  return sum;
}

/**
 * The daily reconciliation as a Temporal Schedule (visible, pausable and triggerable in the Web
 * UI). Created at worker start if missing; an existing schedule is left as an operator set it.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { WorkflowFacts } from './model';

export const RECONCILIATION_SCHEDULE_ID = 'daily-reconciliation';

export async function ensureReconciliationSchedule(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: RECONCILIATION_SCHEDULE_ID,
      // 03:00 UTC, when few tills are open; each run looks back 48 h, overlapping the previous one.
      spec: { calendars: [{ hour: 3, minute: 0 }] },
      action: { type: 'startWorkflow', workflowType: 'reconcileTransactions', taskQueue, args: [{ periodHours: 48 }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}

/** Whether a transaction's workflow still runs, has closed, or is gone from Temporal. */
export function workflowLookup(client: Client): (workflowId: string) => Promise<WorkflowFacts> {
  return async (workflowId) => {
    try {
      const { status } = await client.workflow.getHandle(workflowId).describe();
      return status.name === 'RUNNING' ? 'running' : 'closed';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'gone';
      throw err;
    }
  };
}

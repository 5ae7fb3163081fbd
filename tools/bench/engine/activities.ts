/** The engine-ceiling workflow's activity: nothing inside, so what is measured is Temporal's share. */
import type { Client } from '@temporalio/client';
import { resultSignal } from './shape';

export function createEngineActivities(client: Client) {
  return {
    /** Answers at once; the "provider" signals the workflow later, as Zuz's webhooks do through the API. */
    // An activity is a Promise-returning function; this one only schedules the signals.
    // eslint-disable-next-line @typescript-eslint/require-await
    async noop({ workflowId, signalsAfterMs }: { workflowId: string; signalsAfterMs: number[] }): Promise<void> {
      for (const delayMs of signalsAfterMs) {
        setTimeout(() => {
          client.workflow
            .getHandle(workflowId)
            .signal(resultSignal)
            .catch((err: Error) => console.error(`engine: could not signal ${workflowId}: ${err.message}`));
        }, delayMs);
      }
    },
  };
}

export type EngineActivities = ReturnType<typeof createEngineActivities>;

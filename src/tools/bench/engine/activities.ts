/** The engine-ceiling workflow's activities: nothing inside, so what is measured is Temporal's share. */
import type { Client } from '@temporalio/client';
import { resultSignal } from './shape';

export function createEngineActivities(client: Client) {
  return {
    async noop(): Promise<void> {},

    /** Answers at once; the "provider" signals the result later, as Zuz's webhook does through the API. */
    async requestResult({ workflowId, delayMs }: { workflowId: string; delayMs: number }): Promise<void> {
      setTimeout(() => {
        client.workflow
          .getHandle(workflowId)
          .signal(resultSignal)
          .catch((err: Error) => console.error(`engine: could not signal ${workflowId}: ${err.message}`));
      }, delayMs);
    },
  };
}

export type EngineActivities = ReturnType<typeof createEngineActivities>;

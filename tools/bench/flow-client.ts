/**
 * One transaction through the service, as a POS client does it: POST to the API, then until it
 * is finished. The end is observed with the workflow-result long poll (the SDK's
 * `handle.result()`), which Temporal answers within milliseconds of the close — polling
 * `GET /v1/transactions/:id` would add its interval to every latency and its load to the run.
 */
import type { Client } from '@temporalio/client';
import { workflowIdFor, type TransactionRequest, type TransactionView } from '../../src/transaction/model';
import type { ApiClient } from '../chaos/api-client';

const GIVE_UP_MS = 120_000;

/** How long a till using the one-request answer waits for the decision (the API's maximum). */
export const DECISION_WAIT_SECONDS = 30;

/** A transaction started with `Prefer: wait`: how long the POST took, and whether it carried the decision (201) or timed out first (202). */
export interface DecidedRun {
  view: TransactionView;
  decisionMs: number;
  decidedInTime: boolean;
}

export class FlowClient {
  constructor(
    private readonly api: ApiClient,
    private readonly temporal: Client,
  ) {}

  /** Starts the transaction; resolves once the API accepted it. */
  async start(request: TransactionRequest): Promise<void> {
    const answer = await this.api.call('POST', '/v1/transactions', request, { giveUpAt: Date.now() + GIVE_UP_MS });
    if (answer.status !== 202)
      throw new Error(`POST /v1/transactions answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
  }

  /** Starts it and waits for the workflow's result (the final view, with its step journal). */
  async run(request: TransactionRequest): Promise<TransactionView> {
    await this.start(request);
    return this.finished(request);
  }

  /** As a till that wants the card's answer in one request: POST with `Prefer: wait` (the decision), then the result as `run`. */
  async runDecidingFirst(request: TransactionRequest): Promise<DecidedRun> {
    const startedAt = performance.now();
    const answer = await this.api.call('POST', '/v1/transactions', request, {
      giveUpAt: Date.now() + GIVE_UP_MS,
      headers: { prefer: `wait=${DECISION_WAIT_SECONDS}` },
    });
    const decisionMs = performance.now() - startedAt;
    if (answer.status !== 201 && answer.status !== 202)
      throw new Error(`POST /v1/transactions (Prefer: wait) answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
    return { view: await this.finished(request), decisionMs, decidedInTime: answer.status === 201 };
  }

  private async finished(request: TransactionRequest): Promise<TransactionView> {
    const finished = (await this.temporal.workflow.getHandle(workflowIdFor(request.transactionId)).result()) as TransactionView;
    if (finished.status !== 'succeeded')
      throw new Error(`${request.transactionId} ended ${finished.status} (${finished.failure?.code ?? '-'})`);
    return finished;
  }
}

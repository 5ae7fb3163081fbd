/**
 * The non-durable baseline: the flow's happy path as plain async calls in this process, with
 * the same clients — the real activity functions (createActivities), the real PostgreSQL, the
 * real simulators over HTTP, webhooks received by a plain endpoint. No Temporal: what the flow
 * would cost without durability. It times each step, for the per-step overhead.
 */
import { noopMetricMeter } from '@temporalio/common';
import { createActivities, type Activities } from '../../src/activities';
import { loadDatabasePoolSize, loadProvidersConfig, loadRiskLimits } from '../../src/shared/config';
import { openDatabase, type Database } from '../../src/shared/database';
import { PmsClient } from '../../src/pms';
import { ZuzClient } from '../../src/zuz';
import type { TransactionRequest, TransactionView, ZuzOperationResult } from '../../src/transaction/model';
import { WebhookInbox } from './webhook-inbox';

export type StepTimes = Record<string, number>;

export class Baseline {
  /** Per step name, the duration of each call (ms). */
  readonly stepDurations = new Map<string, number[]>();
  /** Per run, the time from its start until the authorization's decision was known (the span a till waits on). */
  readonly decisionDurations: number[] = [];
  /** Every query the activities sent (the wrapper counts them: exact, unlike the server's statistics). */
  queries = 0;

  private constructor(
    private readonly activities: Activities,
    private readonly db: Database,
    readonly inbox: WebhookInbox,
  ) {}

  /** `env`: the worker processes' environment, so the clients and the pool are configured alike. */
  static async start(env: NodeJS.ProcessEnv): Promise<Baseline> {
    const providers = loadProvidersConfig(env);
    const db = await openDatabase({ url: env.DATABASE_URL!, poolMax: loadDatabasePoolSize(env) });
    const inbox = await WebhookInbox.start(providers.zuz.privateKey);
    let baseline: Baseline | undefined;
    const counted: Database = {
      query: (sql, params) => {
        baseline!.queries++;
        return db.query(sql, params);
      },
      session: (work) => db.session(work),
      transaction: (work) => db.transaction(work),
      close: () => db.close(),
    };
    const activities = createActivities({
      // No workflow runs here: each transaction is its own (only) run.
      currentRunId: () => 'non-durable-baseline',
      outcomeMeter: () => noopMetricMeter, // no activity context, so no worker meter
      workflowOf: () => Promise.resolve('running'), // the baseline never reconciles
      db: counted,
      zuz: new ZuzClient(providers.zuz),
      pms: new PmsClient(providers.pms),
      risk: loadRiskLimits(env),
    });
    baseline = new Baseline(activities, db, inbox);
    return baseline;
  }

  /** The flow's steps in its order: record, assign, screen, open the payment, authorize (+ its webhook), capture (+ its webhook if pending), finalize. */
  async run(request: TransactionRequest): Promise<void> {
    const a = this.activities;
    const startedAt = performance.now();
    const { transactionId, customerId, paymentMethodId, amount, currency } = request;
    await this.step('recordTransaction', () => a.recordTransaction(request));
    const accountId = await this.step('assignAccountId', () => a.assignAccountId({ transactionId, customerId }));
    const verdict = await this.step('screenTransaction', () => a.screenTransaction({ transactionId, customerId, amount }));
    if (!verdict.cleared) throw new Error(`${transactionId}: risk screening refused it`);
    const { paymentId } = await this.step('createPayment', () => a.createPayment({ transactionId, customerId, amount, currency }));
    const created = await this.step('createAuthorization', () =>
      a.createAuthorization({ transactionId, customerId, paymentMethodId, amount, currency, paymentId }),
    );
    const authorization = await this.step('awaitAuthorizationResult', () => this.finalResult(created.paymentId, created.authorization));
    this.decisionDurations.push(performance.now() - startedAt);
    if (authorization.status !== 'Succeed') throw new Error(`${transactionId}: authorization ${authorization.status}`);
    const sent = await this.step('capturePayment', () =>
      a.capturePayment({ transactionId, paymentId: created.paymentId, amount: authorization.amount }),
    );
    const capture = await this.step('awaitCaptureResult', () => this.finalResult(created.paymentId, sent));
    if (capture.status !== 'Succeed') throw new Error(`${transactionId}: capture ${capture.status}`);
    const view: TransactionView = {
      ...request,
      status: 'succeeded',
      authorizedAmount: authorization.amount,
      capturedAmount: capture.amount,
      accountId,
      zuz: { paymentId: created.paymentId, authorizationId: authorization.operationId, captureId: capture.operationId },
      steps: [],
    };
    await this.step('finalizeTransaction', () => a.finalizeTransaction(view));
  }

  close(): Promise<void> {
    return Promise.all([this.db.close(), this.inbox.close()]).then(() => undefined);
  }

  private finalResult(paymentId: string, answer: ZuzOperationResult): Promise<ZuzOperationResult> {
    return answer.status === 'Pending' ? this.inbox.final(paymentId, answer.kind) : Promise.resolve(answer);
  }

  private async step<T>(name: string, call: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    const result = await call();
    const list = this.stepDurations.get(name) ?? [];
    list.push(performance.now() - startedAt);
    this.stepDurations.set(name, list);
    return result;
  }
}

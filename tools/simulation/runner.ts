/**
 * Runs seeds on one time-skipping server: each seed's transaction is a real workflow on a real
 * worker, its activities served by the seed's simulated world, its webhooks and the till's
 * requests delivered by the clock. `concurrency` transactions run at once in the environment.
 *
 * Worker crashes: every finished history is replayed from its first event by a replay worker
 * that never saw the run (BatchReplayer) — how a worker resumes after a crash between any two
 * workflow tasks, so this checks every task of every seed rather than a few drawn points;
 * `restartWorkers` also kills the live worker at each seed's drawn crash point. Crashes inside a step are the world's lost answers: the call acted and
 * the answer never came back, so the step runs again (the same idempotency key).
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { loadTemporalConfig } from '../../src/config';
import { dataConverterOf } from '../../src/infrastructure/temporal';
import { transactionKey } from '../../src/domain/merchant';
import { workflowIdFor, type TransactionView, type ZuzEvent } from '../../src/domain/transaction';
import { cancelUpdate, captureUpdate, transactionQuery, zuzEventSignal } from '../../src/workflows/messages';
import type { ProcessTransactionInput } from '../../src/workflows/process-transaction';
import { createSimulatedActivities, WorldDirectory } from './activities';
import { askForRefund, type RefundDesk } from '../../src/api/refunds';
import { refundKey, refundWorkflowIdFor, type RefundView } from '../../src/domain/refund';
import { requestFingerprint } from '../../src/domain/request-fingerprint';
import { openDatabase } from '../../src/infrastructure/database';
import { RefundRecords } from '../../src/infrastructure/refund-record';
import { TransactionRecords } from '../../src/infrastructure/transaction-record';
import { SimulationClock } from './clock';
import { BatchReplayer } from './replayer';
import { planFor, type ClientRequest, type ClientStep, type SimRefundStep, type SimulationPlan } from './plan';
import { SimulatedWorld } from './world';

/** How long (server time) a seed may run before it counts as stuck: the longest designed path is about 9 days. */
const STUCK_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

export interface ClientAttempt {
  atMs: number;
  request: ClientRequest;
  answer: 'accepted' | 'refused' | 'closed' | 'error';
  status?: string;
  detail?: string;
}

/** Everything a seed's run left behind, for the invariants and the report. */
export interface SeedRun {
  plan: SimulationPlan;
  world: SimulatedWorld;
  startedAt: number;
  finishedAt?: number;
  view?: TransactionView;
  /** The finished workflow's answer to the API's query (what GET /v1/transactions/:id shows). */
  queried?: TransactionView;
  error?: string;
  /** Every status the workflow published (its TransactionStatus upserts, read from the history), in order. */
  published: string[];
  /** Workflow tasks that failed (non-determinism, a bug thrown as a plain Error): each with its cause. */
  workflowTaskFailures: string[];
  client: ClientAttempt[];
  /** Why the finished history did not replay on a fresh worker (a crash at any point would have failed the same way). */
  replayFailure?: string;
  webhooks: { delivered: number; early: number; afterTheEnd: number };
  /** The merchant's refund requests once the transaction succeeded, and how the record answered each. */
  refundAttempts: RefundAttempt[];
  /** The refunds as the record holds them once every refund's workflow has ended. */
  recordedRefunds: RefundView[];
}

export interface RefundAttempt {
  atMs: number;
  step: SimRefundStep;
  /** The record's answer (src/api/refunds.ts askForRefund): reserved, repeat, conflict, exceeds, not_refundable. */
  answer: string;
  status?: string;
  /** For a refund id already in the record: its status then, when it may have reached Zuz. */
  before?: string;
  /** Whether the request started a refund workflow. */
  started: boolean;
}

export interface RunnerOptions {
  concurrency: number;
  /** Kill and replace the worker at each seed's drawn crash point (off by default: see the README's simulation paragraph). */
  restartWorkers?: boolean;
  /** Called with each finished seed (the runner keeps nothing). */
  onSeed: (run: SeedRun) => void;
}

export async function runSeeds(
  env: TestWorkflowEnvironment,
  bundle: { code: string } | { codePath: string },
  seeds: readonly number[],
  options: RunnerOptions,
): Promise<void> {
  const clock = new SimulationClock(env);
  const worlds = new WorldDirectory();
  // The service's own records of a succeeded transaction and its refunds, embedded (one per process).
  const db = await openDatabase({ inMemory: true });
  const records = new TransactionRecords(db);
  const refunds = new RefundRecords(db);
  // The service's payload codec when PAYLOAD_ENCRYPTION_KEYS is set (the same helper as every client and worker).
  const dataConverter = dataConverterOf(loadTemporalConfig());
  const client = new Client({ connection: env.connection, namespace: env.namespace, dataConverter });
  const taskQueue = `simulation-${randomUUID()}`;
  const worker = new RestartableWorker(() =>
    Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowBundle: bundle,
      activities: createSimulatedActivities(worlds, refunds),
      maxCachedWorkflows: 100,
      dataConverter,
    }),
  );

  const replayer = new BatchReplayer({ workflowBundle: bundle, replayName: 'simulation', dataConverter });
  // The refunds' starts pass through here, so a start of a refund that may already have reached Zuz
  // is seen even where Temporal, still holding the first workflow, would refuse it: after its
  // retention it would not, and that start would be a second refund.
  const refundStarts: string[] = [];
  const startsWatched = {
    workflow: {
      start: (type: string, options: { workflowId: string }) => {
        refundStarts.push(options.workflowId);
        return client.workflow.start(type, options as never);
      },
    },
  };
  const desk: RefundDesk = { client: startsWatched as unknown as Client, refunds, taskQueue };
  const pending = [...seeds];
  const running = new Map<number, SeedRun & { done: boolean }>();

  const start = async (seed: number) => {
    const plan = planFor(seed);
    const key = transactionKey(plan.request.merchantId, plan.request.transactionId);
    const workflowId = workflowIdFor(key);
    const handle = client.workflow.getHandle(workflowId);
    const now = await clock.now();
    const run: SeedRun & { done: boolean } = {
      plan,
      world: undefined as unknown as SimulatedWorld,
      startedAt: now,
      published: [],
      workflowTaskFailures: [],
      client: [],
      webhooks: { delivered: 0, early: 0, afterTheEnd: 0 },
      refundAttempts: [],
      recordedRefunds: [],
      done: false,
    };
    const deliver = async (event: ZuzEvent, early: boolean, refundOf?: string) => {
      // A refund's events go to its own workflow (as the API hands them over); one that has ended is the reconciliation's.
      if (refundOf !== undefined) {
        await client.workflow
          .getHandle(refundWorkflowIdFor(refundOf))
          .signal(zuzEventSignal, event)
          .catch(() => undefined);
        return;
      }
      if (run.done) {
        run.webhooks.afterTheEnd++; // the API would store it for the reconciliation
        return;
      }
      try {
        await handle.signal(zuzEventSignal, event);
        run.webhooks[early ? 'early' : 'delivered']++;
      } catch {
        run.webhooks.afterTheEnd++;
      }
    };
    run.world = new SimulatedWorld(plan, {
      deliverNow: (event, refundOf) => deliver(event, true, refundOf),
      deliverAt: (atMs, event, refundOf) => {
        clock.at(atMs, () => deliver(event, false, refundOf));
        clock.stir();
      },
    });
    run.world.startedAt = now;
    worlds.add(run.world);
    running.set(seed, run);
    const input: ProcessTransactionInput = { request: plan.request };
    await client.workflow.start('processTransaction', { taskQueue, workflowId, args: [input] });
    for (const step of plan.client) scheduleClient(run, step, now + step.atMs, 0);
    if (plan.workerCrashAtMs !== undefined && options.restartWorkers) {
      clock.at(now + plan.workerCrashAtMs, async () => {
        if (!run.done) await worker.restart();
      });
    }
    clock.at(now + STUCK_AFTER_MS, async () => {
      if (!run.done) await handle.terminate('the simulation gave up: not finished after 30 days of workflow time').catch(() => undefined);
    });
    handle
      .result()
      .then(
        (view: TransactionView) => (run.view = view),
        (err: unknown) => (run.error = String(err)),
      )
      .finally(() => void finish(run, workflowId));
  };

  const scheduleClient = (run: SeedRun & { done: boolean }, step: ClientStep, atMs: number, attempt: number) => {
    clock.at(atMs, async () => {
      if (run.done) return;
      const handle = client.workflow.getHandle(workflowIdFor(transactionKey(run.plan.request.merchantId, run.plan.request.transactionId)));
      const sent = await clock.now();
      const answer = await sendRequest(handle, step.request);
      run.client.push({ atMs: sent - run.startedAt, request: step.request, ...answer });
      if (answer.answer === 'accepted' && step.repeat) {
        run.client.push({ atMs: sent - run.startedAt, request: step.request, ...(await sendRequest(handle, step.request)) });
      }
      if (answer.answer === 'refused' && attempt < step.retries) {
        const pause = run.world.stream('client').int(1000, 30 * 60 * 1000);
        scheduleClient(run, step, sent + pause, attempt + 1);
      }
    });
  };

  const finishing: Array<Promise<void>> = [];
  const finish = (run: SeedRun & { done: boolean }, workflowId: string) => {
    const task = (async () => {
      run.done = true;
      run.finishedAt = await clock.now();
      const handle = client.workflow.getHandle(workflowId);
      run.queried = await handle.query(transactionQuery).catch(() => undefined);
      const history = await handle.fetchHistory();
      for (const event of history.events ?? []) {
        const failed = event.workflowTaskFailedEventAttributes;
        // A signal landing while a task completes makes the server refuse that completion (UNHANDLED_COMMAND): routine, retried at once.
        if (failed && failed.cause !== temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND) {
          const cause = temporal.api.enums.v1.WorkflowTaskFailedCause[failed.cause ?? 0];
          run.workflowTaskFailures.push(`${cause}: ${failed.failure?.message ?? ''}`);
        }
        const field = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TransactionStatus;
        if (field?.data) run.published.push(JSON.parse(Buffer.from(field.data).toString('utf8')) as string);
      }
      run.replayFailure = await replayer.replay(history, workflowId);
      if (run.view?.status === 'succeeded' && run.plan.refunds.length > 0) await refundPhase(run);
      else complete(run);
    })();
    finishing.push(task);
  };

  const complete = (run: SeedRun & { done: boolean }) => {
    worlds.remove(run.world);
    running.delete(run.plan.seed);
    options.onSeed(run);
  };

  /**
   * The merchant's refunds of a succeeded transaction, asked through the API's own logic over the
   * service's record: the transaction is recorded as the flow finalized it, each request is sent at
   * its time, and the seed ends once every refund's workflow has ended (by its deadline at the latest).
   */
  const refundPhase = async (run: SeedRun & { done: boolean }) => {
    const { request } = run.plan;
    const key = transactionKey(request.merchantId, request.transactionId);
    const view = run.view!;
    await records.claim(request, requestFingerprint(request));
    await records.bindRun(key, (await client.workflow.getHandle(workflowIdFor(key)).describe()).runId);
    await records.finalize(view);
    const started = new Set<string>();
    let left = run.plan.refunds.length;
    for (const step of run.plan.refunds) {
      clock.at(run.finishedAt! + step.afterMs, async () => {
        const asked = { refundId: step.refundId, ...(step.amount !== undefined && { amount: step.amount }), reason: 'simulated' };
        const before = (await refunds.of(key)).find((r) => r.refundId === step.refundId);
        const askedBefore =
          before?.status !== 'pending' || !(await refunds.pendingOf(key)).some((r) => r.refundId === step.refundId && !r.askedZuz);
        const startsBefore = refundStarts.length;
        const reservation = await askForRefund(desk, key, view.zuz.paymentId!, asked);
        run.refundAttempts.push({
          atMs: (await clock.now()) - run.startedAt,
          step,
          answer: reservation.kind,
          status: 'refund' in reservation ? reservation.refund.status : undefined,
          // What the record said of it before (undefined: never sent to Zuz, so starting it is right), and whether it was started.
          ...(before && { before: askedBefore ? before.status : undefined }),
          started: refundStarts.length > startsBefore,
        });
        if (reservation.kind === 'reserved' || reservation.kind === 'repeat') started.add(step.refundId);
        clock.stir();
        if (--left > 0) return;
        // The last request: the seed ends when every refund's workflow has (their own deadline bounds them).
        void Promise.all(
          [...started].map((refundId) =>
            client.workflow
              .getHandle(refundWorkflowIdFor(refundKey(key, refundId)))
              .result()
              .catch(() => undefined),
          ),
        ).then(async () => {
          run.recordedRefunds = await refunds.of(key);
          complete(run);
        });
      });
    }
    clock.stir();
  };

  await worker.start();
  try {
    await clock.runUntil(
      () => pending.length === 0 && running.size === 0,
      async () => {
        while (running.size < options.concurrency && pending.length > 0) {
          await start(pending.shift()!);
          clock.stir();
        }
        // A finished workflow's bookkeeping runs beside the clock; let it land before deciding we are done.
        await Promise.all(finishing.splice(0));
      },
    );
  } finally {
    await Promise.all(finishing);
    await replayer.close();
    await worker.stop();
    await db.close();
  }
}

/**
 * The worker, killed and replaced on demand: the new one has an empty cache, so the transactions
 * it takes over are rebuilt from their histories, and the steps the old one was running are
 * lost (no grace time) and run again when their attempt times out.
 */
class RestartableWorker {
  private worker?: Worker;
  private running?: Promise<void>;
  restarts = 0;

  constructor(private readonly create: () => Promise<Worker>) {}

  async start(): Promise<void> {
    this.worker = await this.create();
    this.running = this.worker.run();
  }

  async restart(): Promise<void> {
    await this.stop();
    this.restarts++;
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.worker?.getState() === 'RUNNING') this.worker.shutdown();
    await this.running;
  }
}

async function sendRequest(
  handle: ReturnType<Client['workflow']['getHandle']>,
  request: ClientRequest,
): Promise<Omit<ClientAttempt, 'atMs' | 'request'>> {
  try {
    const view =
      request.action === 'capture'
        ? await handle.executeUpdate(captureUpdate, { args: [request.amount !== undefined ? { amount: request.amount } : {}] })
        : await handle.executeUpdate(cancelUpdate);
    return { answer: 'accepted', status: view.status };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return { answer: 'refused', detail: err.cause?.message };
    const message = String(err);
    if (/completed|not found|closed/i.test(message)) return { answer: 'closed', detail: message };
    return { answer: 'error', detail: message };
  }
}

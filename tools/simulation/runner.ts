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
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { loadTemporalConfig } from '../../src/shared/config';
import { dataConverterOf } from '../../src/shared/temporal';
import { transactionKey } from '../../src/merchants/model';
import { workflowIdFor, type TransactionView, type ZuzEvent } from '../../src/transaction/model';
import { cancelUpdate, captureUpdate, transactionQuery, zuzEventSignal } from '../../src/transaction/workflow/messages';
import type { ProcessTransactionInput } from '../../src/transaction/workflow/process-transaction';
import { createSimulatedActivities, simulatedZuzClient, WorldDirectory } from './activities';
import { reconcileTransaction, type Reconciler } from '../../src/reconciliation/activities';
import { ReconciliationStore } from '../../src/reconciliation/store';
import { workflowLookup } from '../../src/reconciliation/schedule';
import type { Discrepancy } from '../../src/reconciliation/model';
import { askForRefund, type RefundDesk } from '../../src/refund/routes';
import { refundKey, refundWorkflowIdFor, transactionKeyOfRefund, type RefundView } from '../../src/refund/model';
import { requestFingerprint } from '../../src/transaction/request-fingerprint';
import { openDatabase } from '../../src/shared/database';
import { RefundRecords } from '../../src/refund/record';
import { TransactionRecords } from '../../src/transaction/record';
import { SimulationClock } from './clock';
import { BatchReplayer } from './replayer';
import { planFor, type ClientRequest, type ClientStep, type SimRefundStep, type SimulationPlan } from './plan';
import { SimulatedWorld } from './world';

/** How long (server time) a seed may run before it counts as stuck: the longest designed path is about 9 days. */
const STUCK_AFTER_MS = 30 * 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The scheduled reconciliation's period (src/reconciliation/workflow.ts): each day's run looks back 48 hours. */
const RECONCILIATION_PERIOD_MS = 48 * 60 * 60 * 1000;
/** Daily runs before the simulation calls the transaction unsettled (Zuz's slowest refunds take 20 days, their webhooks 8 more). */
const RECONCILIATION_DAYS = 60;
/** A failed page is retried (src/reconciliation/workflow.ts: every 5 minutes at most); a day's attempts before the simulation gives up on it. */
const RECONCILIATION_RETRY_MS = 5 * 60 * 1000;
const RECONCILIATION_ATTEMPTS = 300;

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
  /** How the record took the request: `new`, unless another transaction (another merchant's, with the same id) holds its row. */
  claim?: string;
  /** The daily reconciliation's runs over the transaction, from the day after its end until the world is quiet. */
  reconciliation: ReconciliationDay[];
  /** The record once the daily runs are over: its refunds, and what the reconciliation gave back. */
  afterReconciliation?: { refunds: RefundView[]; refundedAmount: number; settled: boolean };
}

export interface ReconciliationDay {
  atMs: number;
  /** Whether the day's run picked the transaction (src/reconciliation/store.ts candidates). */
  candidate: boolean;
  found: Array<{ kind: Discrepancy['kind']; outcome: string }>;
  /** Attempts that failed (Zuz unreachable): the page is retried every 5 minutes, as Temporal retries it. */
  failedAttempts: number;
  /** Whether the day's run got through the transaction (or had nothing to do with it). */
  completed: boolean;
  lastError?: string;
}

export interface RefundAttempt {
  atMs: number;
  step: SimRefundStep;
  /** The record's answer (src/refund/routes.ts askForRefund): reserved, repeat, conflict, exceeds, not_refundable. */
  answer: string;
  status?: string;
  /** For a refund id already in the record: its status then, when it may have reached Zuz. */
  before?: string;
  /** Whether the request started a refund workflow. */
  started: boolean;
}

export interface RunnerOptions {
  concurrency: number;
  /** Kill and replace the worker at each seed's drawn crash point (off by default: see docs/simulation/README.md). */
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
      activities: createSimulatedActivities(worlds, records, refunds, (execution) => workflowTaskTime(client, execution, clock)),
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
  const store = new ReconciliationStore(db);
  let found: ReconciliationDay['found'] = [];
  const reconciler: Reconciler = {
    store,
    refunds,
    zuz: simulatedZuzClient(worlds),
    workflowOf: workflowLookup(client),
    report: ({ discrepancy, outcome }) => found.push({ kind: discrepancy.kind, outcome }),
    unreadable: () => found.push({ kind: 'outcome_lost', outcome: 'payment unreadable' }),
  };
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
      reconciliation: [],
      done: false,
    };
    const deliver = async (event: ZuzEvent, early: boolean, refundOf?: string) => {
      // A refund's events go to its own workflow (as the API hands them over); one that has ended is the reconciliation's.
      // Either way, an event no workflow takes is kept for the reconciliation (src/zuz/webhook-routes.ts).
      if (refundOf !== undefined) {
        await client.workflow
          .getHandle(refundWorkflowIdFor(refundOf))
          .signal(zuzEventSignal, event)
          .catch(() => records.storeLateEvent(transactionKeyOfRefund(refundOf), event));
        return;
      }
      if (!run.done) {
        try {
          await handle.signal(zuzEventSignal, event);
          run.webhooks[early ? 'early' : 'delivered']++;
          return;
        } catch {
          // finished meanwhile
        }
      }
      run.webhooks.afterTheEnd++;
      await records.storeLateEvent(key, event);
    };
    run.world = new SimulatedWorld(plan, {
      deliverNow: (event, refundOf) => deliver(event, true, refundOf),
      deliverAt: (atMs, event, refundOf) => {
        run.world.webhooksInFlight++;
        clock.at(atMs, () => {
          run.world.webhooksInFlight--;
          return deliver(event, false, refundOf);
        });
        clock.stir();
      },
    });
    run.world.startedAt = now;
    worlds.add(run.world);
    running.set(seed, run);
    const input: ProcessTransactionInput = { request: plan.request };
    // The record as the API keeps it: claimed before the start, bound to the run (the flow's own database steps are the world's).
    run.claim = (await records.claim(plan.request, requestFingerprint(plan.request))).kind;
    const started = await client.workflow.start('processTransaction', { taskQueue, workflowId, args: [input] });
    await records.bindRun(key, started.firstExecutionRunId);
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
      const key = transactionKey(run.plan.request.merchantId, run.plan.request.transactionId);
      if (run.view) {
        await records.finalize(run.view);
        await stampServerTime(key, run.finishedAt);
      }
      if (run.view?.status === 'succeeded' && run.plan.refunds.length > 0) refundPhase(run);
      else reconciliationPhase(run);
    })();
    finishing.push(task);
  };

  /**
   * The record's rows carry the server's time, as the daily run reads them (its period is server
   * time): the embedded database stamps its own clock, which the time-skipping server outruns.
   */
  const stampServerTime = (key: string, at: number) =>
    db.query(`UPDATE transactions SET updated_at = $2 WHERE transaction_id = $1`, [key, new Date(at).toISOString()]);
  const updatedAt = async (key: string) =>
    (
      await db.query<{ updated_at: Date }>(`SELECT updated_at FROM transactions WHERE transaction_id = $1`, [key])
    ).rows[0]?.updated_at.getTime();

  /**
   * The daily reconciliation (src/reconciliation/activities.ts, as the scheduled workflow runs it)
   * over the transaction: from the day after the transaction and its refunds have ended, once a
   * day, picked as the production run picks (a 48-hour period, anything left open, late events,
   * pending refunds), until the world is quiet — Zuz has decided everything and no webhook is on
   * its way — and a day's run found nothing. Then the record is read back for the verdict.
   */
  const reconciliationPhase = (run: SeedRun & { done: boolean }) => {
    const key = transactionKey(run.plan.request.merchantId, run.plan.request.transactionId);
    /** One attempt of the day's run at the transaction; a failed one is tried again, as Temporal retries the page. */
    const attempt = async (day: ReconciliationDay, runId: string): Promise<void> => {
      const now = await clock.now();
      const before = await updatedAt(key);
      found = [];
      run.world.reconcilingAt = now;
      try {
        await store.openRun(runId, new Date(now - RECONCILIATION_PERIOD_MS));
        await reconcileTransaction(reconciler, runId, key);
        day.completed = true;
      } catch (err) {
        day.lastError = String(err);
        day.failedAttempts++;
      } finally {
        run.world.reconcilingAt = undefined;
      }
      day.found = found;
      if ((await updatedAt(key)) !== before) await stampServerTime(key, now);
      clock.stir();
      if (!day.completed && day.failedAttempts < RECONCILIATION_ATTEMPTS)
        return clock.at(now + RECONCILIATION_RETRY_MS, () => attempt(day, runId));
      return dayDone(day, now);
    };
    const daily = async (): Promise<void> => {
      const now = await clock.now();
      const picked = (await store.candidates(new Date(now - RECONCILIATION_PERIOD_MS), '', 1_000_000)).includes(key);
      const day: ReconciliationDay = { atMs: now - run.startedAt, candidate: picked, found: [], failedAttempts: 0, completed: !picked };
      run.reconciliation.push(day);
      // One run a day for every transaction in the environment, as the schedule starts one.
      if (picked) return attempt(day, `reconciliation-${new Date(now).toISOString().slice(0, 10)}`);
      return dayDone(day, now);
    };
    const dayDone = async (day: ReconciliationDay, now: number): Promise<void> => {
      const quiet = run.world.settledAt(now) && run.world.webhooksInFlight === 0;
      const done = quiet && day.completed && day.found.length === 0;
      if (!done && run.reconciliation.length < RECONCILIATION_DAYS) return clock.at(run.startedAt + day.atMs + DAY_MS, daily);
      run.afterReconciliation = {
        refunds: await refunds.of(key),
        refundedAmount: Number(
          (await db.query<{ refunded_amount: string }>(`SELECT refunded_amount FROM transactions WHERE transaction_id = $1`, [key])).rows[0]
            ?.refunded_amount ?? 0,
        ),
        settled: done,
      };
      complete(run);
    };
    void clock.now().then((now) => {
      clock.at(now + DAY_MS, daily);
      clock.stir();
    });
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
  const refundPhase = (run: SeedRun & { done: boolean }) => {
    const { request } = run.plan;
    const key = transactionKey(request.merchantId, request.transactionId);
    const view = run.view!;
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
          reconciliationPhase(run);
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

/**
 * The workflow's own time while it runs a local activity: the start of its current workflow task
 * (what `Date.now()` is in the workflow), read from the server; the test server's clock if none is
 * pending. Not the clock's "now": the clock may skip ahead while the task's local activities run.
 */
async function workflowTaskTime(client: Client, execution: { workflowId: string; runId: string }, clock: SimulationClock): Promise<number> {
  const { raw } = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
  return optionalTsToMs(raw.pendingWorkflowTask?.startedTime) ?? clock.now();
}

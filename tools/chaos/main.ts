/**
 * `npm run chaos -- --transactions 500 --seed 42 --workers 2 [--engine cluster]`: drives a seeded mix of
 * transactions through the real stack while a seeded schedule of faults hits it (worker kills,
 * a Temporal restart, an API restart, Zuz failures and webhook trouble), then checks the
 * invariants, prints the violations per invariant, writes a JSON report and exits non-zero on
 * any violation. The seed and the schedule are printed, so a failure can be replayed. The
 * Temporal is the CLI's dev server (`--engine dev`, the default) or the Temporal server on
 * PostgreSQL of `npm run cluster` (`--engine cluster`; the restart fault hits its server process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiClient } from './api-client';
import { parseChaosArgs } from './args';
import { argsOrUsage, runToolMain } from '../cli-args';
import { driveTransactions, type TransactionRun } from './driver';
import { collectEvidence, type Evidence } from './evidence';
import { ExitGuard } from './exit-guard';
import { injectFaults, type InjectedFault } from './fault-injector';
import { describeSchedule, planFaults } from './fault-schedule';
import { checkInvariants, type InvariantResult } from './invariants';
import { planTransactions } from './kinds';
import { connectForgetter } from './forget';
import { reconcileOnce, type ClosingReconciliation } from './reconcile';
import { Progress } from './progress';
import { freshSeed } from './random';
import { sleep } from './sleep';
import { buildReport, replayCommand, writeReport, type ChaosReport } from './report';
import { API_KEY, AUTHORIZATION_EXPIRY_MS, FLOW_ENV, OTHER_MERCHANT_KEY } from './service-env';
import { checkMerchantsIsolated } from './merchants';
import { checkHistoriesReplay } from './histories-replay';
import { loadMerchantEventsWorkerConfig } from '../../src/shared/config';
import type { LedgerEntry } from '../../sandbox/simulators/zuz';
import { ChaosStack } from './stack';
import { provisionCluster } from './engine';
import { printSummary } from './summary';
import {
  awaitMerchantsTold,
  CHAOS_MERCHANTS,
  closeEndpoints,
  MERCHANT_EVENTS_ENV,
  registerMerchantEndpoints,
  type MerchantEndpoint,
} from './receivers';

/** After the driving phase: how long Zuz may take to finish its webhook retries, and the reads of the end state. */
const SETTLE_MS = 120_000;
/** The closing reconciliation checks a few hundred transactions against Zuz. */
const RECONCILIATION_MS = 180_000;
const SETTLE_AFTER_TIMEOUT_MS = 15_000;
const EVIDENCE_MS = 90_000;
/** After the endpoints' faults cleared: how long every merchant event may take to reach every endpoint (retries are at most 10 s apart). */
const MERCHANT_TOLD_MS = 120_000;
/** Beyond the global timeout, the checks and the clean-up get this long before a hard stop. */
const HARD_STOP_GRACE_MS = 6 * 60_000;

async function main(): Promise<number> {
  const parsed = argsOrUsage(parseChaosArgs, process.argv.slice(2));
  if (!parsed) return 2;
  const args = { ...parsed, seed: parsed.seed ?? freshSeed() };
  const reportFile = path.resolve(args.report);
  const plans = planTransactions(args.seed, args.transactions, Date.now().toString(36), AUTHORIZATION_EXPIRY_MS);
  const schedule = planFaults(
    args.seed,
    args.transactions,
    args.workers,
    args.zuzOutageSeconds * 1000,
    args.lateAnswerSeconds * 1000,
    CHAOS_MERCHANTS.length,
    args.temporalRestarts,
    args.workerKills,
  );
  console.log(`[chaos] seed ${args.seed} (replay: ${replayCommand(args)})`);
  console.log(
    `[chaos] fault schedule (${schedule.length} faults, each due once that many transactions have finished):\n${describeSchedule(schedule)}`,
  );

  // `npm run chaos` provisions the CLI; the cluster's binaries are built here once per machine (cached after).
  if (args.engine === 'cluster' && !provisionCluster('chaos')) return 1;

  const guard = new ExitGuard();
  guard.install();
  const logsDir = mkdtempSync(path.join(tmpdir(), 'pos-chaos-'));
  const startedAt = Date.now();
  const abort = new AbortController();
  let stoppedByGlobalTimeout = false;
  const globalTimeout = setTimeout(() => {
    stoppedByGlobalTimeout = true;
    console.error(`[chaos] global timeout of ${args.timeoutMinutes} min: stopping the drive and reporting what is missing`);
    abort.abort();
  }, args.timeoutMinutes * 60_000);
  const hardStop = setTimeout(
    () => {
      console.error('[chaos] hard stop: the checks did not finish in time');
      guard.killAllNow();
      process.exit(3);
    },
    args.timeoutMinutes * 60_000 + HARD_STOP_GRACE_MS,
  );
  hardStop.unref();

  let stack: ChaosStack | undefined;
  let endpoints: MerchantEndpoint[] = [];
  let runs: TransactionRun[] = plans.map((plan) => ({ plan }));
  let evidence: Evidence[] = [];
  let invariants: InvariantResult[] = [];
  let closingReconciliation: ClosingReconciliation | undefined;
  let secondReconciliation: ClosingReconciliation | undefined;
  const injected: InjectedFault[] = [];
  let runError: string | undefined;
  let stackStartupMs: number | undefined;
  try {
    console.log(`[chaos] starting the stack on the ${args.engine === 'cluster' ? 'cluster' : 'dev server'} (logs in ${logsDir})...`);
    stack = await ChaosStack.start(
      { workers: args.workers, timeScale: args.timeScale, logsDir, engine: args.engine, serviceEnv: MERCHANT_EVENTS_ENV },
      (kill) => guard.set('stack', kill),
    );
    console.log(
      `[chaos] ${stack.engine.description} at ${stack.temporalAddress}, API ${stack.apiUrl}, ${args.workers} workers, PostgreSQL ${stack.postgres.owned ? 'started for the run' : 'from DATABASE_URL'}`,
    );

    // Each merchant's endpoint (issue 33), registered before any event is written: every event of the run is its to receive.
    endpoints = await registerMerchantEndpoints(stack.apiUrl, Date.now() + 60_000);
    console.log(`[chaos] merchant endpoints: ${endpoints.map((e) => `${e.merchant} ${e.endpointId} at ${e.receiver.url}`).join(', ')}`);

    const driveStartedAt = Date.now();
    stackStartupMs = driveStartedAt - startedAt;
    const progress = new Progress(abort.signal);
    const api = new ApiClient(stack.apiUrl, API_KEY);
    const ticker = setInterval(() => {
      console.log(
        `[chaos] +${Math.round((Date.now() - driveStartedAt) / 1000)}s started ${progress.started}/${plans.length}, finished ${progress.finished}, faults ${injected.length}/${schedule.length}`,
      );
    }, 10_000);
    const faults = injectFaults(schedule, stack, progress, driveStartedAt, injected, endpoints).catch((err: Error) => {
      runError = err.message;
      abort.abort();
    });
    const forgetter = await connectForgetter(stack.temporalConfig);
    try {
      runs = await driveTransactions(plans, api, progress, {
        concurrency: args.concurrency,
        deadlineMs: args.deadlineSeconds * 1000,
        signal: abort.signal,
        forget: forgetter.forget,
        forgetWorkflow: forgetter.forgetWorkflow,
        isGone: forgetter.isGone,
        runOf: forgetter.runOf,
      });
      await faults;
    } finally {
      await forgetter.close().catch(() => undefined);
      clearInterval(ticker);
      clearTimeout(globalTimeout);
    }

    // The end state: faults off, Zuz's retries settled, then every record read back and compared.
    stack.zuz.setFaults({});
    for (const endpoint of endpoints) endpoint.receiver.setFault({ mode: 'normal' });
    const endpointFaultsClearedAt = Date.now();
    const settleMs = abort.signal.aborted ? SETTLE_AFTER_TIMEOUT_MS : SETTLE_MS;
    console.log(
      `[chaos] drive done after ${Math.round((Date.now() - driveStartedAt) / 1000)}s; waiting up to ${settleMs / 1000}s for Zuz to settle, then checking`,
    );
    let zuzSettled = await Promise.race([stack.zuz.idle().then(() => true), sleep(settleMs).then(() => false)]);
    const [temporalConfig, taskQueue, databaseUrl] = [stack.temporalConfig, String(stack.baseEnv.TEMPORAL_TASK_QUEUE), stack.postgres.url];
    const reconcile = () => reconcileOnce(temporalConfig, taskQueue, RECONCILIATION_MS, databaseUrl);
    closingReconciliation = await reconcile();
    console.log(`[chaos] closing reconciliation: ${JSON.stringify(closingReconciliation)}`);
    // Its repairs (voids, refunds) send webhooks of their own.
    zuzSettled = zuzSettled && (await Promise.race([stack.zuz.idle().then(() => true), sleep(settleMs).then(() => false)]));
    // A second run over the same state must ask Zuz for nothing more: the reconciliation converges.
    const ledgerBefore = stack.zuz.ledger.entries();
    secondReconciliation = await reconcile();
    console.log(`[chaos] second reconciliation: ${JSON.stringify(secondReconciliation)}`);
    const converges = checkReconciliationConverges(ledgerBefore, stack.zuz.ledger.entries(), secondReconciliation);
    evidence = await collectEvidence(runs, {
      api,
      temporal: stack.temporalConfig,
      databaseUrl: stack.postgres.url,
      zuz: stack.zuz,
      giveUpAt: Date.now() + EVIDENCE_MS,
    });
    const isolated = await checkMerchantsIsolated(evidence, new ApiClient(stack.apiUrl, OTHER_MERCHANT_KEY), Date.now() + EVIDENCE_MS);
    // merchant-told: every event reaches every endpoint once its faults cleared (waited for, up to MERCHANT_TOLD_MS).
    const told = await awaitMerchantsTold(stack.apiUrl, endpoints, endpointFaultsClearedAt, MERCHANT_TOLD_MS);
    console.log(
      `[chaos] merchant events: ${told.events.length} events, ${told.settled ? `every one at every endpoint, the last ${Math.round((told.settledAfterMs ?? 0) / 1000)}s after the endpoints' faults cleared` : `still missing after ${MERCHANT_TOLD_MS / 1000}s`}`,
    );
    // The payments' queue and the merchant event deliveries' own.
    const queues = [taskQueue, loadMerchantEventsWorkerConfig(stack.baseEnv).taskQueue];
    const replays = await checkHistoriesReplay(stack.temporalConfig, queues, logsDir, stack.baseEnv.PAYLOAD_ENCRYPTION_KEYS);
    console.log(`[chaos] histories replayed: ${String(replays.notes?.replayed)}, ${replays.violations.length} that do not replay`);
    invariants = checkInvariants(
      evidence,
      stack.zuz.deliveries(),
      zuzSettled,
      outageWindows(injected),
      [converges, isolated, replays],
      told,
    );
  } catch (err) {
    runError = (err as Error).stack ?? String(err);
    console.error(`[chaos] the run failed: ${runError}`);
  }

  const report: ChaosReport = buildReport({
    args,
    startedAt,
    stackStartupMs,
    stoppedByGlobalTimeout,
    runs,
    evidence: evidence.length ? evidence : runs.map((run) => ({ run, paymentIds: [], ledger: [] })),
    schedule,
    injected,
    processExits: stack?.processExits ?? [],
    invariants,
    stack: {
      engine: stack?.engine.description ?? (args.engine === 'cluster' ? 'Temporal server on PostgreSQL (cluster)' : 'Temporal dev server'),
      temporalAddress: stack?.temporalAddress ?? '-',
      apiUrl: stack?.apiUrl ?? '-',
      workers: args.workers,
      database: stack?.postgres.owned === false ? 'DATABASE_URL' : 'started for the run',
      logsDir,
      flow: { ...FLOW_ENV, ...MERCHANT_EVENTS_ENV },
      timeScale: args.timeScale,
    },
    runError,
  });
  report.closingReconciliation = closingReconciliation;
  report.secondReconciliation = secondReconciliation;
  const keepLogs = !report.ok || args.keepLogs;
  if (!keepLogs) report.stack.logsDir = undefined;

  await closeEndpoints(endpoints);
  await guard.stopGracefully(stack);
  if (!keepLogs) rmSync(logsDir, { recursive: true, force: true });
  writeReport(report, reportFile);
  printSummary(report, reportFile);
  return report.ok ? 0 : 1;
}

/** reconciliation-converges: the second run made no new operation at Zuz (a repair it found to make again would be one). */
function checkReconciliationConverges(
  before: readonly LedgerEntry[],
  after: readonly LedgerEntry[],
  second: ClosingReconciliation,
): InvariantResult {
  const known = new Set(before.map((entry) => entry.operationId));
  const added = after.filter((entry) => !known.has(entry.operationId));
  return {
    name: 'reconciliation-converges',
    description: 'a second reconciliation over the same state asks Zuz for nothing more',
    violations: [
      ...('error' in second ? [{ why: `the second run failed: ${second.error}` }] : []),
      ...added.map((entry) => ({
        transactionId: entry.reconciliationId,
        why: `the second run made ${entry.kind} ${entry.operationId} of ${entry.amount} on ${entry.paymentId}`,
      })),
    ],
    notes: { secondRun: second },
  };
}

/** When Zuz was down (epoch ms), from the outages as injected. */
function outageWindows(injected: readonly InjectedFault[]): Array<{ from: number; to: number }> {
  return injected
    .filter((fault) => fault.type === 'zuz-outage' || fault.type === 'zuz-late-answers')
    .map((fault) => ({ from: Date.parse(fault.at), to: Date.parse(fault.at) + fault.tookMs }));
}

runToolMain(main, '[chaos] crashed:');

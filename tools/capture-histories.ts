/**
 * `npm run histories:capture`: runs every branch of the flow for real (dev server, worker, API,
 * simulators) and files each workflow history as JSON under test/histories/<flow version>/.
 * The replay suite replays all of them against the current code before every release.
 * A version's folder is written once: captured histories are never edited, only added to.
 *
 * Payloads: the corpus is captured in clear (PAYLOAD_ENCRYPTION=off), so a history file can be
 * read and diffed. `--encrypted-sample` instead adds one history with every payload encrypted
 * under the committed TEST-ONLY key (test/histories/TEST-ONLY-payload-keys.json) to
 * test/histories/encrypted/<version>-approved.json, so the replay suite proves that histories the
 * codec encrypted replay too; it leaves the version folders alone.
 *
 * `--additions` adds, to folders already captured, the histories a released version's capture
 * missed, never overwriting one: the old side of each patch that no earlier capture took
 * (`OLD_SIDE_BRANCHES`: the current code with that patch and every later one forced off, the flow
 * as it was just before the patch, filed under the version that ran it) and the reconciliation's
 * (`RECONCILIATION_BRANCHES`, filed under the current version).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  isTerminal,
  workflowIdFor,
  type TransactionRequest,
  type TransactionView,
  type ZuzOperationResult,
} from '../src/transaction/model';
import { startLocalStack, throwawayStackEnv, type LocalStack } from '../sandbox/local-stack';
import { loadDevConfig } from '../sandbox/config';
import { FLOW_VERSION } from '../src/workflows/version';
import { ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { TransactionActivities } from '../src/activities';
import { UPSTREAM_REFUSED, UPSTREAM_UNAVAILABLE } from '../src/shared/failure-codes';
import { prebuiltWorkflowBundle } from '../src/shared/workflow-bundle';
import type { FlowOverrides } from '../src/workflows/options';
import { refundKey, refundWorkflowIdFor, type RefundView } from '../src/refund/model';
import { loadTemporalConfig } from '../src/shared/config';
import { connectClient, dataConverterOf } from '../src/shared/temporal';
import { runToolMain } from './cli-args';
import { bundleWithGuards, codeBefore } from './patches';
import type { Activities } from '../src/activities';
import type { ReconciledPage } from '../src/reconciliation/activities';
import type { ReconciliationSummary } from '../src/reconciliation/workflow';

interface Branch {
  name: string;
  paymentMethodId: string;
  amount?: number;
  capture?: 'auto' | 'manual';
  /** What the client or Zuz does while the transaction runs. */
  drive?: (stack: LocalStack, call: Api, transactionId: string) => Promise<void>;
  zuzFaults?: Parameters<LocalStack['zuz']['setFaults']>[0];
}

type Api = (method: 'GET' | 'POST', route: string, body?: unknown) => Promise<{ status: number; body: TransactionView }>;

const untilStatus = async (call: Api, id: string, status: string) => {
  while ((await call('GET', `/v1/transactions/${id}`)).body.status !== status) await sleep(100);
};

/** Waits until the named step has completed (with the given branch, if any). */
const untilStep = async (call: Api, id: string, step: string, branch?: string) => {
  const done = (view: TransactionView) =>
    view.steps.some((s) => s.name === step && s.state === 'completed' && (!branch || s.branch === branch));
  while (!done((await call('GET', `/v1/transactions/${id}`)).body)) await sleep(100);
};

const BRANCHES: Branch[] = [
  { name: 'approved', paymentMethodId: 'pm_approved' },
  { name: 'declined', paymentMethodId: 'pm_declined' },
  { name: 'pending-then-approved-by-webhook', paymentMethodId: 'pm_pending_approved' },
  { name: 'pending-then-declined-by-webhook', paymentMethodId: 'pm_pending_declined' },
  { name: 'no-webhook-found-by-polling', paymentMethodId: 'pm_pending_approved', zuzFaults: { webhooks: 'none' } },
  { name: 'duplicate-webhooks', paymentMethodId: 'pm_pending_approved', zuzFaults: { webhooks: 'duplicate' } },
  { name: 'payment-method-not-found', paymentMethodId: 'pm_unknown' },
  // Over the default daily limit (v2 onwards; on v1 it was simply approved).
  { name: 'risk-rejected', paymentMethodId: 'pm_approved', amount: 2_000_000 },
  { name: 'payment-method-unusable', paymentMethodId: 'pm_expired' },
  { name: 'capture-pending-then-succeeded', paymentMethodId: 'pm_approved', amount: 25 },
  { name: 'capture-failed-then-voided', paymentMethodId: 'pm_approved', amount: 15 },
  {
    name: 'manual-partial-capture',
    paymentMethodId: 'pm_approved',
    amount: 2000,
    capture: 'manual',
    drive: async (_stack, call, id) => {
      await untilStatus(call, id, 'authorized');
      await call('POST', `/v1/transactions/${id}/capture`, { amount: 1500 });
    },
  },
  {
    name: 'manual-cancelled',
    paymentMethodId: 'pm_approved',
    amount: 2000,
    capture: 'manual',
    drive: async (_stack, call, id) => {
      await untilStatus(call, id, 'authorized');
      await call('POST', `/v1/transactions/${id}/cancel`);
    },
  },
  { name: 'manual-expired-then-voided', paymentMethodId: 'pm_approved', amount: 2000, capture: 'manual' },
  {
    // Every capture attempt fails before reaching Zuz; the read shows no capture: release the authorization.
    name: 'capture-never-arrived-then-voided',
    paymentMethodId: 'pm_approved',
    amount: 2000,
    capture: 'manual',
    drive: async (stack, call, id) => {
      await untilStatus(call, id, 'authorized');
      stack.zuz.setFaults({ failBeforeNext: CAPTURE_ATTEMPTS });
      await call('POST', `/v1/transactions/${id}/capture`, {});
    },
  },
  {
    // Zuz's answer is unreadable until the authorization deadline: the flow gives up, reads the fate, voids the approval.
    name: 'authorization-unanswered-then-voided',
    paymentMethodId: 'pm_pending_approved',
    zuzFaults: { webhooks: 'none' },
    drive: async (stack, call, id) => {
      await untilStep(call, id, 'createAuthorization');
      stack.zuz.setFaults({ webhooks: 'none', failBeforeNext: 1_000_000 });
      await untilStep(call, id, 'awaitAuthorizationResult', 'deadline');
      stack.zuz.setFaults({});
    },
  },
];

/**
 * Branches that need a race the simulator cannot stage (Zuz performed an operation the flow's read
 * of the payment did not yet show): the real workflow code, on the same server, against scripted
 * activities on a task queue of their own.
 */
interface ScriptedBranch {
  name: string;
  activities: () => Partial<TransactionActivities>;
  /** Run with the committed TEST-ONLY payload key: the history holds encrypted payloads (and encoded failures). */
  encrypted?: boolean;
  /** Run on the code from just before this patch (it and every later patch forced off): a history of its old side. */
  before?: string;
}

/** The TEST-ONLY key the replay suite decrypts `*.encrypted` histories with; it protects nothing. */
export const HISTORY_TEST_KEYS_FILE = path.resolve('test', 'histories', 'TEST-ONLY-payload-keys.json');

const authorized: ZuzOperationResult = { kind: 'authorization', operationId: 'auth_scripted', status: 'Succeed', amount: 1250 };
const capturedLate: ZuzOperationResult = { kind: 'capture', operationId: 'cap_scripted', status: 'Succeed', amount: 1250 };

/** The straight path (scripted activities that all succeed) with every payload encrypted: `--encrypted-sample`. */
const ENCRYPTED_SAMPLE: ScriptedBranch = { name: 'approved-encrypted', activities: () => ({}), encrypted: true };

/**
 * Every capture attempt looks lost (the capture did land at Zuz), so the flow voids and Zuz refuses
 * (409): the first `hidingReads` reads of the payment do not show the capture yet (lagging), the
 * later ones do.
 */
function captureLandedUnseen(hidingReads: number): () => Partial<TransactionActivities> {
  return () => {
    let reads = 0;
    return {
      capturePayment: () =>
        Promise.reject(ApplicationFailure.create({ type: UPSTREAM_UNAVAILABLE, message: 'connection reset', nonRetryable: true })),
      readPaymentState: () =>
        Promise.resolve(++reads <= hidingReads ? { authorization: authorized } : { authorization: authorized, capture: capturedLate }),
      voidAuthorization: () =>
        Promise.reject(ApplicationFailure.create({ type: UPSTREAM_REFUSED, message: 'Zuz answered 409', nonRetryable: true })),
    };
  };
}

/**
 * The authorization stays Pending past the flow's deadline (4 s below) and Zuz approves it, but
 * the payment's reads lag: they show no authorization until `hiddenForMs` after it was asked for.
 */
function authorizationUnseen(hiddenForMs: number): () => Partial<TransactionActivities> {
  return () => {
    let askedAt = Infinity;
    return {
      createAuthorization: () => {
        askedAt = Date.now();
        return Promise.resolve({ paymentId: 'pay_scripted', authorization: { ...authorized, status: 'Pending' } });
      },
      readPaymentState: () => Promise.resolve(Date.now() - askedAt < hiddenForMs ? {} : { authorization: authorized }),
    };
  };
}

/**
 * Every answer to the authorization request is lost (Zuz approved one attempt), so the flow knows
 * no id; reads of the payment show no authorization until `hiddenForMs` after the first attempt.
 */
function authorizationAnswersLost(hiddenForMs: number): () => Partial<TransactionActivities> {
  return () => {
    let askedAt = Infinity;
    return {
      createAuthorization: () => {
        askedAt = Math.min(askedAt, Date.now());
        return Promise.reject(ApplicationFailure.create({ type: 'UpstreamUnavailable', message: 'the answer was lost (scripted)' }));
      },
      readPaymentState: () => Promise.resolve(Date.now() - askedAt < hiddenForMs ? {} : { authorization: authorized }),
    };
  };
}

const SCRIPTED_BRANCHES: ScriptedBranch[] = [
  // The read of the capture's fate shows none, so the flow voids; the read after the refusal shows the capture: the refusal is settled from it.
  { name: 'void-refused-capture-landed', activities: captureLandedUnseen(1) },
  // v5: the read right after the refusal lags too: the flow reads the payment again after a pause and finds the capture (simulation seeds 21 and 91).
  { name: 'void-refused-reread-finds-capture', activities: captureLandedUnseen(2) },
  // v6: at the deadline the read shows no authorization although Zuz gave it an id: the flow reads again, finds it approved, voids it (simulation seed 2007).
  { name: 'authorization-unseen-reread-finds-it', activities: authorizationUnseen(5000) },
  // v7: every answer to the authorization is lost and the first read lags: the flow reads again, finds it approved, voids it (simulation seeds 783, 1058, 1289).
  { name: 'authorization-answers-lost-reread-finds-it', activities: authorizationAnswersLost(3000) },
];

/** Every capture attempt fails before reaching Zuz, and the read shows no capture. */
function captureNeverArrived(): Partial<TransactionActivities> {
  return {
    capturePayment: () =>
      Promise.reject(ApplicationFailure.create({ type: UPSTREAM_UNAVAILABLE, message: 'connection reset', nonRetryable: true })),
    readPaymentState: () => Promise.resolve({ authorization: authorized }),
  };
}

/**
 * The old side of the patches no capture of their time took: each branch reaches the patch's
 * decision on the code from just before it (that patch and every later one off) and takes the
 * old path; filed under the version whose code that was. With the patch's guard removed (always
 * the new path) their replay fails (test/patch-coverage.test.ts).
 */
const OLD_SIDE_BRANCHES: Array<ScriptedBranch & { before: string; version: string }> = [
  // v2 before v2.1: a capture that never reached Zuz ended failed as if still pending, and the authorization stayed held.
  { name: 'capture-never-arrived-not-voided', version: 'v2', before: 'void-when-capture-never-arrived', activities: captureNeverArrived },
  // v4: the void refused while the read after it shows no reason: release_failed at once, no reread.
  {
    name: 'void-refused-unexplained-not-reread',
    version: 'v4',
    before: 'reread-unexplained-void-refusals',
    activities: captureLandedUnseen(2),
  },
  // v5: at the deadline the read does not show the authorization Zuz gave an id to: taken as none held, no reread.
  {
    name: 'authorization-unseen-not-reread',
    version: 'v5',
    before: 'reread-missing-known-authorization',
    activities: authorizationUnseen(5000),
  },
  // v6: every answer to the authorization lost and the read shows none: taken as none held, no reread.
  {
    name: 'authorization-answers-lost-not-reread',
    version: 'v6',
    before: 'reread-after-lost-authorization-answers',
    activities: authorizationAnswersLost(3000),
  },
];

/**
 * The reconciliation's branches. `reconciliation-daily` is the schedule's run for real, over the
 * transactions of this capture (the stack's own activities); the scripted ones page through
 * `pages` pages of a made-up period (PAGES_PER_RUN, 200, pages make a run continue as new: its
 * first run's history ends there, and the next run's starts from the page it left).
 */
interface ReconciliationBranch {
  name: string;
  pages?: number;
}

const RECONCILIATION_BRANCHES: ReconciliationBranch[] = [
  { name: 'reconciliation-daily' },
  { name: 'reconciliation-continued-as-new', pages: 201 },
];

/** The refund workflow's branches, each a refund of the captured `approved` branch (Zuz's simulator decides by amount). */
const REFUND_BRANCHES = [
  { name: 'refund-approved', amount: 500 },
  { name: 'refund-declined', amount: 15 },
  { name: 'refund-pending-then-approved', amount: 25 },
  { name: 'refund-pending-then-declined', amount: 35 },
];

async function runRefund(
  call: Api,
  transactionId: string,
  branch: { name: string; amount: number },
): Promise<{ workflowId: string; outcome: string }> {
  const route = `/v1/transactions/${transactionId}/refunds`;
  const asked = await call('POST', route, { refundId: branch.name, amount: branch.amount, reason: 'history capture' });
  if (asked.status >= 300) throw new Error(`${branch.name}: POST ${route} answered ${asked.status}`);
  for (;;) {
    const { body } = await call('GET', `/v1/transactions/${transactionId}`);
    const refund = (body as unknown as { refunds?: RefundView[] }).refunds?.find((r) => r.refundId === branch.name);
    if (refund && refund.status !== 'pending') {
      return { workflowId: refundWorkflowIdFor(refundKey(transactionId, branch.name)), outcome: refund.status };
    }
    await sleep(100);
  }
}

async function runScripted(
  stack: LocalStack,
  branch: ScriptedBranch,
  version = FLOW_VERSION,
): Promise<{ workflowId: string; outcome: string }> {
  const request: TransactionRequest = {
    transactionId: `history-${version}-${branch.name}`,
    customerId: 'cus_demo',
    paymentMethodId: 'pm_approved',
    amount: 1250,
    currency: 'EUR',
    capture: 'auto',
  };
  const activities: TransactionActivities = {
    recordTransaction: () => Promise.resolve(),
    assignAccountId: () => Promise.resolve('acct_scripted'),
    screenTransaction: () => Promise.resolve({ cleared: true }),
    noteAuthorized: () => Promise.resolve(),
    finalizeTransaction: () => Promise.resolve(),
    createPayment: () => Promise.resolve({ paymentId: 'pay_scripted' }),
    createAuthorization: () => Promise.resolve({ paymentId: 'pay_scripted', authorization: authorized }),
    capturePayment: () => Promise.resolve(capturedLate),
    voidAuthorization: () => Promise.resolve({ kind: 'void', operationId: 'void_scripted', status: 'Succeed', amount: 1250 }),
    readPaymentState: () => Promise.resolve({}),
    ...branch.activities(),
  };
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const keys = branch.encrypted
    ? (JSON.parse(readFileSync(HISTORY_TEST_KEYS_FILE, 'utf8')) as { PAYLOAD_ENCRYPTION_KEYS: string })
    : undefined;
  const temporal = loadTemporalConfig({ TEMPORAL_ADDRESS: stack.temporalAddress, PAYLOAD_ENCRYPTION: 'on', ...keys });
  const client = await connectClient(temporal);
  try {
    const taskQueue = `history-scripted-${branch.name}`;
    const worker = await Worker.create({
      connection,
      taskQueue,
      activities,
      workflowBundle: branch.before ? await bundleWithGuards(codeBefore(branch.before)) : (prebuiltWorkflowBundle() ?? (await bundle())),
      dataConverter: dataConverterOf(temporal),
    });
    const workflowId = workflowIdFor(request.transactionId);
    const run = client.workflow.execute('processTransaction', { workflowId, taskQueue, args: [{ request, options: FLOW_OPTIONS }] });
    const view = (await worker.runUntil(run)) as TransactionView;
    return { workflowId, outcome: view.status };
  } finally {
    await Promise.all([connection.close(), client.connection.close()]);
  }
}

async function bundle(): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../src/workflows') });
}

/** The capture step's attempts under the short step policies below. */
const CAPTURE_ATTEMPTS = 3;
const SHORT_RETRY: RetryPolicy = { initialInterval: '100 milliseconds', backoffCoefficient: 2, maximumInterval: '400 milliseconds' };

/** Short waits and retries, so that every branch (the 7-day expiry and every-attempt-fails ones too) ends in seconds; the commands are the same. */
const FLOW_OPTIONS: FlowOverrides = {
  webhookGracePeriod: '2 seconds',
  pollInitialInterval: '200 milliseconds',
  pollMaxInterval: '1 second',
  authorizationExpiry: '3 seconds',
  authorizationDeadline: '4 seconds',
  steps: {
    zuzCommands: { startToCloseTimeout: '5 seconds', retry: { ...SHORT_RETRY, maximumAttempts: CAPTURE_ATTEMPTS } },
    zuzPersistent: { startToCloseTimeout: '5 seconds', retry: SHORT_RETRY },
    zuzQueries: { startToCloseTimeout: '5 seconds', retry: { ...SHORT_RETRY, maximumAttempts: 2 } },
  },
};

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  if (process.argv.includes('--encrypted-sample')) return captureEncryptedSample();
  if (process.argv.includes('--additions')) return captureAdditions();
  const target = path.resolve('test', 'histories', FLOW_VERSION);
  if (existsSync(target) && !force) {
    console.error(
      `${target} exists: the histories of ${FLOW_VERSION} are already captured. Bump FLOW_VERSION (src/workflows/version.ts) for a new version, or pass --force to recapture an unreleased one.`,
    );
    process.exit(1);
  }
  // Written aside and moved into place at the end, so a failed run leaves no half corpus.
  const partial = `${target}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });

  const stack = await startLocalStack({
    env: throwawayStackEnv('histories', {
      LOG_LEVEL: 'warn',
      // In clear: a history file in the corpus is read and diffed (the *.encrypted branches use the test key).
      PAYLOAD_ENCRYPTION: 'off',
      // The sandbox's limits are raised for demos; the risk-rejected branch needs the production default.
      RISK_MAX_AMOUNT_PER_DAY: '1000000',
    }),
    // Short waits, so that every branch (the 7-day expiry too) finishes in seconds.
    flowOptions: FLOW_OPTIONS,
  });
  const call = apiOf(stack);

  try {
    for (const branch of BRANCHES) {
      const transactionId = `history-${FLOW_VERSION}-${branch.name}`;
      stack.zuz.setFaults(branch.zuzFaults ?? {});
      const created = await call('POST', '/v1/transactions', {
        transactionId,
        customerId: 'cus_demo',
        paymentMethodId: branch.paymentMethodId,
        amount: branch.amount ?? 1250,
        currency: 'EUR',
        capture: branch.capture ?? 'auto',
      });
      if (created.status !== 202) throw new Error(`${branch.name}: POST answered ${created.status}`);
      await branch.drive?.(stack, call, transactionId);
      let view = created.body;
      while (!isTerminal(view.status)) {
        await sleep(100);
        view = (await call('GET', `/v1/transactions/${transactionId}`)).body;
      }
      const handle = stack.client.workflow.getHandle(workflowIdFor(transactionId));
      await handle.result();
      const history = exportHistory(stack, handle.workflowId);
      const file = path.join(partial, `${branch.name}.json`);
      writeFileSync(
        file,
        JSON.stringify({ workflowId: handle.workflowId, branch: branch.name, outcome: view.status, history }, null, 1) + '\n',
      );
      console.log(`${branch.name.padEnd(34)} ${view.status}`);
    }
    for (const branch of REFUND_BRANCHES) {
      const { workflowId, outcome } = await runRefund(call, `history-${FLOW_VERSION}-approved`, branch);
      const history = exportHistory(stack, workflowId);
      writeFileSync(
        path.join(partial, `${branch.name}.json`),
        JSON.stringify({ workflowId, branch: branch.name, outcome, history }, null, 1) + '\n',
      );
      console.log(`${branch.name.padEnd(34)} ${outcome}`);
    }
    for (const branch of SCRIPTED_BRANCHES) {
      const { workflowId, outcome } = await runScripted(stack, branch);
      const history = exportHistory(stack, workflowId);
      writeFileSync(
        path.join(partial, `${branch.name}.json`),
        JSON.stringify({ workflowId, branch: branch.name, outcome, history }, null, 1) + '\n',
      );
      console.log(`${branch.name.padEnd(34)} ${outcome}`);
    }
    for (const branch of RECONCILIATION_BRANCHES) await captureReconciliation(stack, branch, partial);
  } finally {
    stack.zuz.setFaults({});
    await stack.stop();
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
  console.log(`Histories of ${FLOW_VERSION} written to ${path.relative(process.cwd(), target)}/`);
}

/** The stack's API, as the till calls it. */
function apiOf(stack: LocalStack): Api {
  return async (method, route, body) => {
    const response = await fetch(stack.apiUrl + route, {
      method,
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as TransactionView };
  };
}

/** Writes a history file that must not exist yet (captured histories are never overwritten). */
function writeNewHistory(file: string, stored: { workflowId: string; branch: string; outcome: string; history: unknown }, note?: string) {
  if (existsSync(file)) throw new Error(`${file} exists: captured histories are never overwritten`);
  writeFileSync(file, JSON.stringify({ ...stored, ...(note && { note }) }, null, 1) + '\n');
  console.log(`${stored.branch.padEnd(40)} ${stored.outcome} -> ${path.relative(process.cwd(), file)}`);
}

/** The reconciliation's branch: each of its runs' histories, `<name>.json` and, once continued as new, `<name>-run2.json`. */
async function captureReconciliation(stack: LocalStack, branch: ReconciliationBranch, folder: string): Promise<void> {
  const workflowId = `history-${FLOW_VERSION}-${branch.name}`;
  const run = async (taskQueue: string) => {
    const handle = await stack.client.workflow.start('reconcileTransactions', { workflowId, taskQueue, args: [{ periodHours: 48 }] });
    return (await handle.result()) as ReconciliationSummary;
  };
  let summary: ReconciliationSummary;
  if (branch.pages === undefined) {
    summary = await run(loadTemporalConfig(stack.env).taskQueue);
  } else {
    const pages = branch.pages;
    const activities: Pick<Activities, 'openReconciliationRun' | 'reconcilePage' | 'closeReconciliationRun'> = {
      openReconciliationRun: () => Promise.resolve(),
      reconcilePage: ({ after }): Promise<ReconciledPage> => {
        const page = after === '' ? 1 : Number(after.slice('page-'.length)) + 1;
        return Promise.resolve({ checked: 1, discrepancies: page % 50 === 0 ? 1 : 0, ...(page < pages && { next: `page-${page}` }) });
      },
      closeReconciliationRun: () => Promise.resolve(),
    };
    const connection = await NativeConnection.connect({ address: stack.temporalAddress });
    try {
      const taskQueue = `history-scripted-${branch.name}`;
      const worker = await Worker.create({
        connection,
        taskQueue,
        activities,
        workflowBundle: prebuiltWorkflowBundle() ?? (await bundle()),
        dataConverter: stack.dataConverter,
      });
      summary = await worker.runUntil(run(taskQueue));
    } finally {
      await connection.close();
    }
  }
  const outcome = `checked ${summary.checked}, ${summary.discrepancies} discrepancies`;
  const runs = runIdsOf(stack, workflowId);
  runs.forEach((runId, i) => {
    const name = i === 0 ? branch.name : `${branch.name}-run${i + 1}`;
    writeNewHistory(path.join(folder, `${name}.json`), {
      workflowId,
      branch: name,
      outcome,
      history: exportHistory(stack, workflowId, runId),
    });
  });
}

/** The runs of a workflow id, first first (a run continued as new is followed by the next). */
function runIdsOf(stack: LocalStack, workflowId: string): string[] {
  const args = ['workflow', 'list', '--query', `WorkflowId = '${workflowId}'`, '--output', 'json', '--color', 'never'];
  const connection = ['--address', stack.temporalAddress, '--namespace', stack.client.options.namespace];
  const listed = JSON.parse(execFileSync(loadDevConfig().temporalCli, [...args, ...connection], { encoding: 'utf8' })) as Array<{
    execution: { runId: string };
    startTime: string;
  }>;
  return listed.sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime)).map((w) => w.execution.runId);
}

/**
 * `--additions`: the histories released versions lack, added to their folders (never overwriting
 * one): the old sides of patches (OLD_SIDE_BRANCHES) and the reconciliation's branches.
 */
async function captureAdditions(): Promise<void> {
  const stack = await startLocalStack({
    env: throwawayStackEnv('histories', { LOG_LEVEL: 'warn', PAYLOAD_ENCRYPTION: 'off' }),
    flowOptions: FLOW_OPTIONS,
  });
  try {
    for (const branch of OLD_SIDE_BRANCHES) {
      const file = path.resolve('test', 'histories', branch.version, `${branch.name}.json`);
      if (existsSync(file)) continue;
      const { workflowId, outcome } = await runScripted(stack, branch, branch.version);
      const note = `captured later (--additions) on the current code with ${branch.before} and every later patch forced off: the flow of ${branch.version} before that patch`;
      writeNewHistory(file, { workflowId, branch: branch.name, outcome, history: exportHistory(stack, workflowId) }, note);
    }
    // Something for the daily run to check: a transaction that succeeded, one declined.
    const call = apiOf(stack);
    for (const [name, paymentMethodId] of [
      ['reconciled-approved', 'pm_approved'],
      ['reconciled-declined', 'pm_declined'],
    ]) {
      const transactionId = `history-${FLOW_VERSION}-${name}`;
      const body = { transactionId, customerId: 'cus_demo', paymentMethodId, amount: 1250, currency: 'EUR', capture: 'auto' };
      const created = await call('POST', '/v1/transactions', body);
      if (created.status !== 202) throw new Error(`${name}: POST answered ${created.status}`);
      while (!isTerminal((await call('GET', `/v1/transactions/${transactionId}`)).body.status)) await sleep(100);
    }
    const current = path.resolve('test', 'histories', FLOW_VERSION);
    for (const branch of RECONCILIATION_BRANCHES) {
      if (existsSync(path.join(current, `${branch.name}.json`))) continue;
      await captureReconciliation(stack, branch, current);
    }
  } finally {
    await stack.stop();
  }
}

/** `--encrypted-sample`: one history with encrypted payloads, under test/histories/encrypted/ (never overwritten). */
async function captureEncryptedSample(): Promise<void> {
  const file = path.resolve('test', 'histories', 'encrypted', `${FLOW_VERSION}-approved.json`);
  if (existsSync(file)) {
    console.error(`${file} exists: captured histories are never overwritten`);
    process.exit(1);
  }
  const stack = await startLocalStack({ env: throwawayStackEnv('histories', { LOG_LEVEL: 'warn', PAYLOAD_ENCRYPTION: 'off' }) });
  try {
    const { workflowId, outcome } = await runScripted(stack, ENCRYPTED_SAMPLE);
    const history = exportHistory(stack, workflowId);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ workflowId, branch: `${FLOW_VERSION}-approved`, outcome, history }, null, 1) + '\n');
    console.log(`${ENCRYPTED_SAMPLE.name.padEnd(34)} ${outcome} -> ${path.relative(process.cwd(), file)}`);
  } finally {
    await stack.stop();
  }
}

/**
 * A workflow's history as JSON, exported by the Temporal CLI that runs the stack's dev server
 * (`temporal workflow show --output json`): the standard history file the SDK's replayer reads.
 */
function exportHistory(stack: LocalStack, workflowId: string, runId?: string): unknown {
  const args = [
    'workflow',
    'show',
    '--workflow-id',
    workflowId,
    ...(runId ? ['--run-id', runId] : []),
    '--output',
    'json',
    '--color',
    'never',
  ];
  const connection = ['--address', stack.temporalAddress, '--namespace', stack.client.options.namespace];
  const json = execFileSync(loadDevConfig().temporalCli, [...args, ...connection], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(json);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

runToolMain(main);

/**
 * "What happens if we add a step and deploy?" (the seed's question), answered the Temporal way:
 * v2 adds risk screening behind patched(), so transactions that started on v1 workers finish on
 * the old path on v2 workers; the same change without the patch is caught by replay.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { TransactionRequest, TransactionView } from '../src/transaction/model';
import { captureUpdate, transactionQuery } from '../src/transaction/workflow/messages';
import { bundleWorkflows, bundleWorkflowsWithPatches, createDevServerEnv } from './helpers/temporal';
import { approvingActivities } from './helpers/approving-activities';
import { storedHistories } from './helpers/histories';

let env: TestWorkflowEnvironment;
let bundles: { v1: { code: string }; v2: { code: string }; unpatched: { code: string } };

beforeAll(async () => {
  const [devEnv, v1, v2, unpatched] = await Promise.all([
    createDevServerEnv(),
    bundleWorkflowsWithPatches(path.join(__dirname, 'versioning', 'old-code.ts')),
    bundleWorkflows(),
    bundleWorkflowsWithPatches(path.join(__dirname, 'versioning', 'unpatched-change.ts')),
  ]);
  env = devEnv;
  bundles = { v1, v2, unpatched };
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

function manualRequest(): TransactionRequest {
  return { transactionId: randomUUID(), customerId: 'cus_1', paymentMethodId: 'pm_1', amount: 1000, currency: 'EUR', capture: 'manual' };
}

test('a transaction started on a v1 worker and paused mid-flow completes on a v2 worker, on the old path', async () => {
  const taskQueue = `versioning-${randomUUID()}`;
  const calls: string[] = [];
  const request = manualRequest();
  const v1Worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundles.v1,
    activities: approvingActivities({ calls }),
  });

  // On v1: the transaction is authorized and waits for the client's capture request.
  const handle = await v1Worker.runUntil(async () => {
    const started = await env.client.workflow.start('processTransaction', {
      taskQueue,
      workflowId: `transaction-${request.transactionId}`,
      args: [{ request }],
    });
    while ((await started.query(transactionQuery)).status !== 'authorized') await new Promise((r) => setTimeout(r, 50));
    return started;
  });

  // The deploy: v1 workers are gone, a v2 worker takes over the same task queue.
  const v2Worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundles.v2,
    activities: approvingActivities({ calls }),
    maxCachedWorkflows: 0,
  });
  const view = (await v2Worker.runUntil(async () => {
    await handle.executeUpdate(captureUpdate, { args: [{}] });
    return handle.result();
  })) as TransactionView;

  expect(view.status).toBe('succeeded');
  expect(calls).not.toContain('screenTransaction');
  expect(view.steps.map((s) => s.name)).not.toContain('screenTransaction');

  // And a transaction started after the deploy is screened.
  const fresh = manualRequest();
  const freshCalls: string[] = [];
  const v2Again = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundles.v2,
    activities: approvingActivities({ calls: freshCalls }),
  });
  await v2Again.runUntil(async () => {
    const started = await env.client.workflow.start('processTransaction', {
      taskQueue,
      workflowId: `transaction-${fresh.transactionId}`,
      args: [{ request: { ...fresh, capture: 'auto' } }],
    });
    await started.result();
  });
  expect(freshCalls).toContain('screenTransaction');
});

test('the same change without patched() is caught by replaying the v1 histories', async () => {
  const v1 = storedHistories().filter((h) => h.version === 'v1');
  expect(v1.length).toBeGreaterThan(0);
  for (const stored of v1) {
    const replay = Worker.runReplayHistory({ workflowBundle: bundles.unpatched }, stored.history, stored.workflowId);
    await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
    await expect(replay).rejects.toThrow(/createAuthorization.*screenTransaction/);
  }
});

test('the v1 histories do replay on the patched v2 code', async () => {
  for (const stored of storedHistories().filter((h) => h.version === 'v1')) {
    await Worker.runReplayHistory({ workflowBundle: bundles.v2 }, stored.history, stored.workflowId);
  }
});

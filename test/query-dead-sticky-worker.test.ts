/**
 * A read of a transaction whose worker died does not wait long enough to be sent on to another
 * worker. Temporal first sends a query to the sticky queue of the worker that holds the workflow;
 * when that worker is dead, the query waits there for the sticky timeout (10 s) and is then sent to
 * the workflow's own queue, where a worker that does not hold the workflow replays the history,
 * together with events that came in meanwhile: the workflow runs ahead of its history (an SDK bug
 * that broke a history's replay in CI's cluster chaos run: docs/chaos.md). `viewOf` asks under a
 * shorter deadline and answers with the committed view when it passes.
 *
 * Real processes: worker A holds the workflow and is killed (SIGKILL, no goodbye to the server);
 * worker B, alive, serves the same queue. Before the deadline this test failed: the read waited
 * 10 s and then came back with B's live answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { viewOf } from '../src/transaction/lookup';
import type { TransactionRecords } from '../src/transaction/record';
import { transactionStatusKey } from '../src/transaction/search-attributes';
import { createDevServerEnv } from './helpers/temporal';

/** Under the project, so the workflow's bundler and the worker resolve @temporalio from its node_modules. */
const DIR = path.join(__dirname, '..', 'node_modules', '.cache', `query-dead-sticky-${process.pid}`);
const TASK_QUEUE = `dead-sticky-${randomUUID()}`;

/** A workflow that answers the transaction's query with a live view and waits to be released. */
const WORKFLOW = `
const { condition, defineQuery, defineSignal, setHandler } = require('@temporalio/workflow');
exports.heldOpen = async function heldOpen() {
  let released = false;
  setHandler(defineQuery('transaction'), () => ({ transactionId: 'tx-dead-sticky', status: 'processing', steps: [{ name: 'live' }] }));
  setHandler(defineSignal('release'), () => { released = true; });
  await condition(() => released);
};`;

const WORKER = `
const { NativeConnection, Worker } = require('@temporalio/worker');
(async () => {
  const connection = await NativeConnection.connect({ address: process.argv[2] });
  const worker = await Worker.create({ connection, taskQueue: process.argv[3], workflowsPath: require.resolve('./workflows.js') });
  process.stdout.write('ready\\n');
  await worker.run();
})();`;

const recorded = { transactionId: 'tx-dead-sticky', status: 'processing', amount: 500, currency: 'EUR' };
const records = { find: () => Promise.resolve(recorded) } as unknown as TransactionRecords;

let env: TestWorkflowEnvironment;
let workerA: ChildProcess | undefined;
let workerB: Worker | undefined;
let workerBRun: Promise<void> | undefined;

beforeAll(async () => {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(path.join(DIR, 'workflows.js'), WORKFLOW);
  writeFileSync(path.join(DIR, 'worker.js'), WORKER);
  env = await createDevServerEnv();
}, 180_000);

afterAll(async () => {
  workerA?.kill('SIGKILL');
  workerB?.shutdown();
  await workerBRun?.catch(() => undefined);
  await env?.teardown();
  rmSync(DIR, { recursive: true, force: true });
});

function startWorkerA(address: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(DIR, 'worker.js'), address, TASK_QUEUE], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker A exited (${code}) before it was ready`)));
  });
}

async function until(what: string, ms: number, done: () => Promise<boolean>): Promise<void> {
  const giveUpAt = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("a read while the workflow's worker lies dead answers the committed view, not another worker's replay", async () => {
  const address = env.connection.options.address;
  workerA = await startWorkerA(address);
  const handle = await env.client.workflow.start('heldOpen', {
    taskQueue: TASK_QUEUE,
    workflowId: `dead-sticky-${randomUUID()}`,
    typedSearchAttributes: [{ key: transactionStatusKey, value: 'processing' }],
  });
  // Worker A has run the first task: the workflow is now sticky to A, with nothing pending.
  await until('worker A ran the first task', 30_000, async () => {
    const { raw, historyLength } = await handle.describe();
    return historyLength >= 4 && !raw.pendingWorkflowTask;
  });
  workerB = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowsPath: path.join(DIR, 'workflows.js') });
  workerBRun = workerB.run();
  const killedA = new Promise((resolve) => workerA?.once('exit', resolve));
  workerA.kill('SIGKILL');
  await killedA;

  const { view } = await viewOf(handle, records, 'tx-dead-sticky');
  expect(view).toEqual({ ...recorded, steps: [], unavailable: ['steps'] });

  // Once Temporal has given up on A's sticky queue, B holds the workflow and the live view comes back.
  await until("B's live answer", 60_000, async () => (await viewOf(handle, records, 'tx-dead-sticky')).view.steps.length > 0);
  await handle.signal('release');
  await handle.result();
}, 150_000);

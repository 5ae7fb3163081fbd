/**
 * Bench-only preload (`node --require .../workflow-bundle.js dist/worker.js`): the worker runs the
 * workflow bundle at BENCH_WORKFLOW_BUNDLE instead of the shipped one, for a lever that changes
 * the flow's shape (see flow-shape.ts). The service itself has no such switch.
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';

const codePath = process.env.BENCH_WORKFLOW_BUNDLE;
if (codePath) {
  const create = Worker.create.bind(Worker);
  Worker.create = (options: WorkerOptions) => create({ ...options, workflowsPath: undefined, workflowBundle: { codePath } });
}

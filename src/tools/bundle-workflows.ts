/** `npm run build`'s last step: writes the prebuilt workflow bundle (see infrastructure/workflow-bundle.ts). */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_WORKFLOW_BUNDLE } from '../infrastructure/workflow-bundle';

const quiet = () => undefined;

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, '..', 'workflows'),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error },
  });
  // Written aside and moved into place: a worker never loads a half-written bundle.
  writeFileSync(`${PREBUILT_WORKFLOW_BUNDLE}.partial`, code);
  renameSync(`${PREBUILT_WORKFLOW_BUNDLE}.partial`, PREBUILT_WORKFLOW_BUNDLE);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

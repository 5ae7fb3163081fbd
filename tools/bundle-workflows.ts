/**
 * `npm run build`'s last step: bundles the workflows once and writes the bundle where each build
 * of the service looks for it (src/shared/workflow-bundle.ts): dist/ (what ships) and
 * build/src/ (the service as the sandbox and the tools run it).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const quiet = () => undefined;
const repository = path.resolve(__dirname, '..', '..');
const targets = [path.join(repository, 'dist', 'workflow-bundle.js'), path.join(repository, 'build', 'src', 'workflow-bundle.js')];

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(repository, 'dist', 'workflows'),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error },
  });
  for (const target of targets) {
    mkdirSync(path.dirname(target), { recursive: true });
    // Written aside and moved into place: a worker never loads a half-written bundle.
    writeFileSync(`${target}.partial`, code);
    renameSync(`${target}.partial`, target);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

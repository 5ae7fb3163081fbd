/**
 * The flow-shape lever: the same build's workflows bundled with the database steps as ordinary
 * activities (flow v7's shape; patches replaced by database-steps-as-activities.ts), so the
 * levers table shows what v8's local activities bought against the control, like with like.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Configuration, NormalModuleReplacementPlugin as ReplacementPlugin } from 'webpack';

const quiet = () => undefined;

/** The repository's root (the bundle is made from the TypeScript sources): three levels up from here, or four from build/. */
function repositoryRoot(): string {
  const candidates = [path.resolve(__dirname, '..', '..', '..'), path.resolve(__dirname, '..', '..', '..', '..')];
  return candidates.find((dir) => existsSync(path.join(dir, 'src', 'workflows', 'index.ts'))) ?? candidates[0];
}

/** Writes the bundle and returns its path. */
export async function bundleWithDatabaseStepsAsActivities(): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NormalModuleReplacementPlugin } = require('webpack') as { NormalModuleReplacementPlugin: typeof ReplacementPlugin };
  const root = repositoryRoot();
  const replacement = path.join(root, 'tools', 'bench', 'levers', 'database-steps-as-activities.ts');
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(root, 'src', 'workflows'),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error },
    webpackConfigHook: (config: Configuration) => ({
      ...config,
      plugins: [
        ...(config.plugins ?? []),
        // Only the workflows' own `./patches`: the stand-in's import of the real module is left alone.
        new NormalModuleReplacementPlugin(/^\.\/patches$/, (resource: { context: string; request: string }) => {
          if (/[\\/]workflows$/.test(resource.context)) resource.request = replacement;
        }),
      ],
    }),
  });
  const file = path.join(tmpdir(), `pos-bench-database-steps-as-activities-${process.pid}.js`);
  writeFileSync(file, code);
  return file;
}

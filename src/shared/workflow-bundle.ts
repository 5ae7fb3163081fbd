/**
 * The workflows bundled once at build time (`npm run build` writes dist/workflow-bundle.js, and
 * build/src/workflow-bundle.js for the sandbox and the tools), so a worker (re)starts in about
 * a second instead of bundling for several: a crashed worker's transactions resume sooner. Without the file (e.g. running from sources) the worker bundles
 * at start, as it must when tracing adds its workflow interceptors to the bundle.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const PREBUILT_WORKFLOW_BUNDLE = path.join(__dirname, '..', 'workflow-bundle.js');

export function prebuiltWorkflowBundle(): { codePath: string } | undefined {
  return existsSync(PREBUILT_WORKFLOW_BUNDLE) ? { codePath: PREBUILT_WORKFLOW_BUNDLE } : undefined;
}

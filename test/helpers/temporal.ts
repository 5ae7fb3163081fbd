/** Temporal servers for tests: the binaries provisioned by scripts/provision-temporal.sh, else the SDK's download. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { binaryCacheDir } from '../../sandbox/config';
import { activityEagerExecution, searchAttributeCache, TRANSFER_QUEUE_READS_PER_SECOND } from '../../sandbox/dev-server';
import { transactionSearchAttributes } from '../../src/transaction/search-attributes';
import { startTimeSkippingServer } from '../../tools/simulation/environment';

function provisioned(name: 'temporal' | 'temporal-test-server', override?: string) {
  const file = override ?? path.join(binaryCacheDir(), 'bin', name);
  return existsSync(file) ? { type: 'existing-path' as const, path: file } : { type: 'cached-download' as const };
}

export function temporalCliPath(): string {
  return process.env.TEMPORAL_CLI ?? path.join(binaryCacheDir(), 'bin', 'temporal');
}

/**
 * The Java time-skipping server (days of workflow time pass in milliseconds), with the project's
 * search attributes: the simulation's starter, which waits for the JVM as long as it takes (the
 * SDK's own starter gives it 5 s, which a loaded CI machine sometimes misses).
 */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return startTimeSkippingServer();
}

/** A real dev server in memory, with the project's search attributes. */
export function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: provisioned('temporal', process.env.TEMPORAL_CLI),
      searchAttributes: transactionSearchAttributes,
      // As sandbox/dev-server.ts: the default transfer-queue read rate paces every task (docs/dispatch-wait.md),
      // activities are dispatched eagerly or not as the stack's server does (docs/BENCHMARKS.md), and
      // the search attributes are cached or not as there.
      extraArgs: [
        ...['--dynamic-config-value', `history.transferProcessorMaxPollRPS=${TRANSFER_QUEUE_READS_PER_SECOND}`],
        ...['--dynamic-config-value', `system.enableActivityEagerExecution=${activityEagerExecution()}`],
        ...['--dynamic-config-value', `system.forceSearchAttributesCacheRefreshOnRead=${!searchAttributeCache()}`],
      ],
    },
  });
}

/** `plugins`: e.g. tracing, whose workflow interceptors must be bundled in. */
export function bundleWorkflows(plugins: BundleOptions['plugins'] = []) {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: quietBundlerLogger, plugins });
}

const noop = () => undefined;
const quietBundlerLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

export { freePort } from '../../sandbox/dev-server';

/**
 * The workflow bundle with src/workflows/patches.ts swapped for another module: how the tests
 * build the old worker (v1) and the mistaken, unpatched variant of a change.
 */
export function bundleWorkflowsWithPatches(replacement: string) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NormalModuleReplacementPlugin } = require('webpack') as typeof import('webpack');
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: quietBundlerLogger,
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), new NormalModuleReplacementPlugin(/workflows[\\/]patches(\.ts)?$/, replacement)],
    }),
  });
}

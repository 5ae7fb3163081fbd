/** The time-skipping Temporal test server and the workflow bundle the simulation runs on. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { binaryCacheDir } from '../../sandbox/config';
import { transactionSearchAttributes } from '../../src/domain/search-attributes';
import { prebuiltWorkflowBundle } from '../../src/infrastructure/workflow-bundle';

/** The Java time-skipping server (provisioned by scripts/provision-temporal.sh, else the SDK downloads it). */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  // Quick JVM start: the SDK gives the server about 5 s to answer (as test/setup.ts does).
  process.env.JAVA_TOOL_OPTIONS ??= '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
  const file = process.env.TEMPORAL_TEST_SERVER ?? path.join(binaryCacheDir(), 'bin', 'temporal-test-server');
  const env = await withRetries(() =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: existsSync(file) ? { type: 'existing-path', path: file } : { type: 'cached-download' } },
    }),
  );
  // The flow keeps its TransactionStatus search attribute current, so the server must know it.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      transactionSearchAttributes.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]),
    ),
  });
  return env;
}

/** The SDK gives the JVM 5 s to answer; on a loaded machine (several servers starting at once) a second try usually makes it. */
async function withRetries<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
  }
}

const noop = () => undefined;

/**
 * The flow's TypeScript sources: beside this file when run from sources (jest), two levels up from
 * build/ or a scratch build. SIMULATION_WORKFLOWS points at another copy (a candidate fix).
 */
function workflowSources(): string {
  if (process.env.SIMULATION_WORKFLOWS) return path.resolve(process.env.SIMULATION_WORKFLOWS);
  const candidates = [path.resolve(__dirname, '..', '..', 'src', 'workflows'), path.resolve(process.cwd(), 'src', 'workflows')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.ts'))) ?? candidates[0];
}

/** The prebuilt bundle after `npm run build`; otherwise the sources bundled now (a few seconds). */
export async function workflowBundle(): Promise<{ code: string } | { codePath: string }> {
  return (
    (process.env.SIMULATION_WORKFLOWS ? undefined : prebuiltWorkflowBundle()) ??
    bundleWorkflowCode({
      workflowsPath: workflowSources(),
      logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
    })
  );
}

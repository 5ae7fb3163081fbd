/** The time-skipping Temporal test server and the workflow bundle the simulation runs on. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { binaryCacheDir } from '../../sandbox/config';
import { freePort } from '../../sandbox/dev-server';
import { transactionSearchAttributes } from '../../src/transaction/search-attributes';
import { prebuiltWorkflowBundle } from '../../src/shared/workflow-bundle';

/**
 * The Java time-skipping server (provisioned by scripts/provision-temporal.sh, else the SDK downloads it).
 * A provisioned server is started here and awaited for as long as its JVM takes: the SDK's own
 * starter gives it 5 s, which a loaded machine (CI with other suites' servers, a busy laptop)
 * misses now and then.
 */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  process.env.JAVA_TOOL_OPTIONS ??= '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC'; // a quicker JVM start
  const file = process.env.TEMPORAL_TEST_SERVER ?? path.join(binaryCacheDir(), 'bin', 'temporal-test-server');
  const env = existsSync(file)
    ? await startProvisionedServer(file)
    : await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'cached-download' } } });
  // The flow keeps its TransactionStatus search attribute current, so the server must know it.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      transactionSearchAttributes.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]),
    ),
  });
  return env;
}

const SERVER_START_TIMEOUT_MS = 120_000;

/** The SDK's environment factory that takes an address and still speaks the time-skipping test service (private in its typings). */
type EnvironmentFactory = (options: {
  server: { type: 'existing' };
  address: string;
  namespace: string;
  supportsTimeSkipping: true;
}) => Promise<TestWorkflowEnvironment>;

async function startProvisionedServer(file: string): Promise<TestWorkflowEnvironment> {
  const port = await freePort();
  // setpriv: the JVM dies with this process even when jest's --forceExit skips the teardown.
  const [command, args] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'TERM', '--', file, String(port)]] : [file, [String(port)]];
  const server = spawn(command, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  try {
    await untilListening(port, server);
    const create = (TestWorkflowEnvironment as unknown as { create: EnvironmentFactory }).create.bind(TestWorkflowEnvironment);
    const env = await create({
      server: { type: 'existing' },
      address: `127.0.0.1:${port}`,
      namespace: 'default',
      supportsTimeSkipping: true,
    });
    const teardown = env.teardown.bind(env);
    env.teardown = async () => {
      await teardown();
      server.kill('SIGTERM');
      await exited;
    };
    return env;
  } catch (err) {
    server.kill('SIGKILL');
    throw err;
  }
}

const SETPRIV = '/usr/bin/setpriv';

async function untilListening(port: number, server: ChildProcess): Promise<void> {
  const giveUpAt = Date.now() + SERVER_START_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null)
      throw new Error(`the time-skipping test server exited (${server.exitCode ?? server.signalCode})`);
    if (await accepts(port)) return;
    if (Date.now() > giveUpAt)
      throw new Error(`the time-skipping test server did not listen on port ${port} within ${SERVER_START_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
  });
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

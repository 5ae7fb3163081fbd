/**
 * The Temporal dev server (the CLI's `server start-dev`) as a child process: the embedded
 * default for `npm start` and the real server of the end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { transactionSearchAttributes } from '../src/transaction/search-attributes';

export interface DevServerOptions {
  cli: string;
  port: number;
  uiPort?: number;
  /** Persist history here, so a restart keeps every transaction; in memory when omitted. */
  dbFile?: string;
  logFile: string;
  namespace?: string;
  /** The codec server the Web UI decodes payloads through (`--ui-codec-endpoint`), e.g. http://127.0.0.1:8888/codec. */
  codecEndpoint?: string;
  /** Eager activity dispatch (`system.enableActivityEagerExecution`); default `activityEagerExecution()`. */
  activityEagerExecution?: boolean;
  /** The server's Prometheus `/metrics` port; default `DEV_SERVER_METRICS_PORT`, else one the CLI picks. */
  metricsPort?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Port 0 (for `port` or `uiPort`) means any free port, as for the other servers of the stack. */
export async function startDevServer(requested: DevServerOptions): Promise<DevServer> {
  const options = {
    ...requested,
    port: requested.port || (await freePort()),
    uiPort: requested.uiPort === 0 ? await freePort() : requested.uiPort,
  };
  if (!existsSync(options.cli)) {
    throw new Error(`Temporal CLI not found at ${options.cli}: run "npm run provision" (builds it with Go) or set TEMPORAL_CLI`);
  }
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace ?? 'default',
    '--log-level',
    'warn',
    // One history shard reads its transfer queue at most 20 times/s by default: every workflow and
    // activity task then waits up to 50 ms to be dispatched (docs/dispatch-wait.md).
    '--dynamic-config-value',
    `history.transferProcessorMaxPollRPS=${TRANSFER_QUEUE_READS_PER_SECOND}`,
    // The activity task a workflow task schedules comes back in the answer to that workflow task
    // (the SDK asks for it when it has a free slot): no transfer task, no matching, no poll.
    '--dynamic-config-value',
    `system.enableActivityEagerExecution=${options.activityEagerExecution ?? activityEagerExecution()}`,
    // The CLI turns the search attributes' cache off (`true` here), and then every workflow task's
    // history and every start or upsert reads cluster metadata and the namespace from its database
    // (about 33 + 14 reads per transaction here; the server's own default, as on the cluster, caches).
    '--dynamic-config-value',
    `system.forceSearchAttributesCacheRefreshOnRead=${!searchAttributeCache()}`,
    ...metricsPortArgs(options.metricsPort ?? (Number(process.env.DEV_SERVER_METRICS_PORT) || undefined)),
    ...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']),
    ...(options.uiPort && options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...transactionSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=${titleCase(key.type)}`]),
  ];
  const log = openSync(options.logFile, 'a');
  const [command, commandArgs] = dieWithParent(options.cli, args);
  const child = spawn(command, commandArgs, { stdio: ['ignore', log, log] });
  const address = `127.0.0.1:${options.port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await waitUntilServing(address, child, options.logFile);
  return {
    address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

async function waitUntilServing(address: string, child: ChildProcess, logFile: string): Promise<void> {
  const giveUpAt = Date.now() + 60_000;
  while (Date.now() < giveUpAt) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode}; see ${logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`Temporal dev server did not answer on ${address} within 60 s; see ${logFile}`);
}

/**
 * On Linux, the kernel stops the server if this process dies without cleaning up (SIGKILL, OOM):
 * `setpriv --pdeathsig` sets the parent-death signal, then execs the CLI (same pid). Elsewhere
 * the server is started as is, and only a clean stop takes it down.
 */
function dieWithParent(command: string, args: string[]): [string, string[]] {
  return existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args]] : [command, args];
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * The dev server's transfer-queue read rate: the server's default of 20/s for its single shard
 * paces every task of every workflow. `DEV_SERVER_TRANSFER_READS_PER_SECOND=20` restores the
 * default, to measure the difference side by side (docs/dispatch-wait.md).
 */
export const TRANSFER_QUEUE_READS_PER_SECOND = Number(process.env.DEV_SERVER_TRANSFER_READS_PER_SECOND) || 1000;

/**
 * Eager activity dispatch, on unless `DEV_SERVER_ACTIVITY_EAGER_EXECUTION=false` (read at each
 * start, so one process can start servers both ways and measure them side by side:
 * tools/bench/till-probe.ts). The server's own default is off. docs/BENCHMARKS.md ("Eager activity
 * dispatch") has what it buys and why it is safe for money (it changes where an activity task is
 * delivered, not how often it may run).
 */
export function activityEagerExecution(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DEV_SERVER_ACTIVITY_EAGER_EXECUTION !== 'false';
}

/**
 * The server's search-attribute cache, on unless `DEV_SERVER_SEARCH_ATTRIBUTE_CACHE=off` (the
 * CLI's own default: off, so that attributes added while it runs show at once). The service's
 * attributes are registered as the server starts, before anything uses them; the cache then
 * saves the reads above (docs/BENCHMARKS.md, "The dev server's search-attribute cache").
 */
export function searchAttributeCache(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DEV_SERVER_SEARCH_ATTRIBUTE_CACHE !== 'off';
}

function metricsPortArgs(port: number | undefined): string[] {
  return port ? ['--metrics-port', String(port)] : [];
}

/** KEYWORD -> Keyword: the spelling the CLI documents. */
function titleCase(word: string): string {
  return word.charAt(0) + word.slice(1).toLowerCase();
}

/** A port that was free a moment ago (the CLI needs a number; it cannot bind port 0 itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

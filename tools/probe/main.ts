/**
 * Dispatch-wait probe (issue #17): runs a workflow of N sequential no-op activities M times, one
 * after the other, and prints each run's latency plus, read from its history, how long every
 * workflow task and activity task waited between Scheduled and Started.
 *
 * Self-contained: starts its own `temporal server start-dev` on a free port (or uses --address),
 * bundles ./workflows with bundleWorkflowCode, runs the worker in this process.
 *
 *   npx tsc -p tools/probe/tsconfig.json      # compiles to /tmp/probe-build, not into the tree
 *   NODE_PATH=$PWD/node_modules node /tmp/probe-build/main.js --runs 30
 *
 * Prints one line per run (waits in ms, `s` = on the sticky queue) and a SUMMARY line: run latency
 * p50/p90, Scheduled->Started p50/p90 of workflow and activity tasks, workflows/s, and the CPU
 * per workflow of the server and of this process. See docs/dispatch-wait.md.
 *
 * Options (all optional):
 *   --runs N               runs measured (30)           --steps N        activities per run (10)
 *   --warmup N             runs made first, not counted (0)
 *   --concurrency C        workflows started together per run (1); each is one sample
 *   --local                local activities instead of activities
 *   --fresh-worker         a new Worker for every run
 *   --fresh-connection     with --fresh-worker: a new NativeConnection too (default: shared)
 *   --pause-ms N           idle time between runs (0)
 *   --idle-before-ms N     idle time between the worker's start and the first run (0)
 *   --worker-opt K=JSON    a Worker.create option, e.g. maxCachedWorkflows=0,
 *                          activityTaskPollerBehavior='{"type":"simple-maximum","maximum":1}'
 *   --conn-opt K=JSON      a NativeConnection.connect option (e.g. keepAlive)
 *   --dc K=JSON            --dynamic-config-value K=JSON for the dev server
 *   --server-arg ARG       any extra dev-server argument (repeatable)
 *   --server-env K=V       environment of the dev server (GOMAXPROCS=1, GODEBUG=...)
 *   --server-wrapper CMD   run the server under CMD (split on spaces), e.g. "strace -f -o /tmp/s.txt"
 *   --address H:P          use a running server; start nothing
 *   --java-test-server     start the Java test server (~/.cache/pos-payments/bin/temporal-test-server)
 *   --cli PATH             Temporal CLI (TEMPORAL_CLI or ~/.cache/pos-payments/bin/temporal)
 *   --label TEXT           printed with the summary     --json FILE      write all figures
 *   --quiet                no per-run lines             --hold-ms N      keep everything up N ms at the end
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import * as activities from './activities';

/** TaskQueueKind.TASK_QUEUE_KIND_STICKY */
const STICKY = 2;
/** EventType values read here (temporal.api.enums.v1.EventType). */
const ET = {
  WorkflowTaskScheduled: 5,
  WorkflowTaskStarted: 6,
  WorkflowTaskCompleted: 7,
  ActivityTaskScheduled: 10,
  ActivityTaskStarted: 11,
  ActivityTaskCompleted: 12,
} as const;

interface Args {
  runs: number;
  steps: number;
  warmup: number;
  concurrency: number;
  local: boolean;
  freshWorker: boolean;
  freshConnection: boolean;
  pauseMs: number;
  idleBeforeMs: number;
  holdMs: number;
  workerOpts: Record<string, unknown>;
  connOpts: Record<string, unknown>;
  serverArgs: string[];
  serverEnv: Record<string, string>;
  serverWrapper: string[];
  address?: string;
  javaTestServer: boolean;
  cli: string;
  label: string;
  json?: string;
  quiet: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    runs: 30,
    steps: 10,
    warmup: 0,
    concurrency: 1,
    local: false,
    freshWorker: false,
    freshConnection: false,
    pauseMs: 0,
    idleBeforeMs: 0,
    holdMs: 0,
    workerOpts: {},
    connOpts: {},
    serverArgs: [],
    serverEnv: {},
    serverWrapper: [],
    javaTestServer: false,
    cli: process.env.TEMPORAL_CLI ?? path.join(os.homedir(), '.cache/pos-payments/bin/temporal'),
    label: '',
    quiet: false,
  };
  const kv = (s: string): [string, string] => {
    const i = s.indexOf('=');
    if (i <= 0) throw new Error(`expected K=V, got ${s}`);
    return [s.slice(0, i), s.slice(i + 1)];
  };
  const json = (s: string): unknown => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return s;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--runs':
        a.runs = Number(next());
        break;
      case '--steps':
        a.steps = Number(next());
        break;
      case '--concurrency':
        a.concurrency = Number(next());
        break;
      case '--warmup':
        a.warmup = Number(next());
        break;
      case '--local':
        a.local = true;
        break;
      case '--fresh-worker':
        a.freshWorker = true;
        break;
      case '--fresh-connection':
        a.freshConnection = true;
        break;
      case '--pause-ms':
        a.pauseMs = Number(next());
        break;
      case '--idle-before-ms':
        a.idleBeforeMs = Number(next());
        break;
      case '--hold-ms':
        a.holdMs = Number(next());
        break;
      case '--worker-opt': {
        const [k, v] = kv(next());
        a.workerOpts[k] = json(v);
        break;
      }
      case '--conn-opt': {
        const [k, v] = kv(next());
        a.connOpts[k] = json(v);
        break;
      }
      case '--dc':
        a.serverArgs.push('--dynamic-config-value', next());
        break;
      case '--server-arg':
        a.serverArgs.push(next());
        break;
      case '--server-env': {
        const [k, v] = kv(next());
        a.serverEnv[k] = v;
        break;
      }
      case '--server-wrapper':
        a.serverWrapper = next().split(' ').filter(Boolean);
        break;
      case '--address':
        a.address = next();
        break;
      case '--java-test-server':
        a.javaTestServer = true;
        break;
      case '--cli':
        a.cli = next();
        break;
      case '--label':
        a.label = next();
        break;
      case '--json':
        a.json = next();
        break;
      case '--quiet':
        a.quiet = true;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return a;
}

function freePort(): Promise<number> {
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

async function waitUntilServing(address: string, child: ChildProcess, logFile: string): Promise<void> {
  const giveUpAt = Date.now() + 90_000;
  while (Date.now() < giveUpAt) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}; see ${logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await sleep(250);
    }
  }
  throw new Error(`server did not answer on ${address}; see ${logFile}`);
}

/** Killed if the probe fails, so no dev server outlives it. */
let serverToKill: ChildProcess | undefined;

function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (!child?.pid || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** utime + stime of a process, ms (Linux /proc; NaN elsewhere or without a pid). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

/** This process's CPU (worker + client), ms. */
function probeCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function startServer(a: Args): Promise<{ address: string; child?: ChildProcess; logFile?: string }> {
  if (a.address) return { address: a.address };
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const logFile = `/tmp/probe-server-${port}.log`;
  let command: string;
  let args: string[];
  if (a.javaTestServer) {
    command = path.join(os.homedir(), '.cache/pos-payments/bin/temporal-test-server');
    args = [String(port)];
  } else {
    command = a.cli;
    args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'warn'];
    args.push(...a.serverArgs);
  }
  if (a.serverWrapper.length > 0) {
    args = [...a.serverWrapper.slice(1), command, ...args];
    command = a.serverWrapper[0];
  }
  const log = openSync(logFile, 'a');
  // Its own process group: stopping it also stops what a --server-wrapper (strace) started.
  const child = spawn(command, args, { stdio: ['ignore', log, log], env: { ...process.env, ...a.serverEnv }, detached: true });
  serverToKill = child;
  console.log(`# server pid ${child.pid}: ${command} ${args.join(' ')}  (log ${logFile})`);
  await waitUntilServing(address, child, logFile);
  return { address, child, logFile };
}

interface RunResult {
  ms: number;
  wftWaits: number[]; // WorkflowTaskScheduled -> Started, ms, in order
  wftStickyKinds: boolean[]; // whether that workflow task was scheduled on the sticky queue
  actWaits: number[]; // ActivityTaskScheduled -> Started, ms
  wftRun: number[]; // WorkflowTaskStarted -> Completed
  actRun: number[]; // ActivityTaskStarted -> Completed
}

function eventMs(e: temporal.api.history.v1.IHistoryEvent): number {
  const t = e.eventTime;
  if (!t) return NaN;
  const s = t.seconds;
  const seconds = typeof s === 'number' ? s : s ? Number(s.toString()) : 0;
  return seconds * 1000 + (t.nanos ?? 0) / 1e6;
}

function analyse(history: temporal.api.history.v1.IHistory, ms: number): RunResult {
  const r: RunResult = { ms, wftWaits: [], wftStickyKinds: [], actWaits: [], wftRun: [], actRun: [] };
  const byId = new Map<number, temporal.api.history.v1.IHistoryEvent>();
  let lastWftScheduled: temporal.api.history.v1.IHistoryEvent | undefined;
  let lastWftStarted: temporal.api.history.v1.IHistoryEvent | undefined;
  for (const e of history.events ?? []) {
    byId.set(Number(e.eventId?.toString()), e);
    const type = Number(e.eventType ?? 0);
    if (type === ET.WorkflowTaskScheduled) lastWftScheduled = e;
    else if (type === ET.WorkflowTaskStarted && lastWftScheduled) {
      r.wftWaits.push(eventMs(e) - eventMs(lastWftScheduled));
      r.wftStickyKinds.push(Number(lastWftScheduled.workflowTaskScheduledEventAttributes?.taskQueue?.kind ?? 0) === STICKY);
      lastWftStarted = e;
    } else if (type === ET.WorkflowTaskCompleted && lastWftStarted) {
      r.wftRun.push(eventMs(e) - eventMs(lastWftStarted));
    } else if (type === ET.ActivityTaskStarted) {
      const sched = byId.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId?.toString()));
      if (sched) r.actWaits.push(eventMs(e) - eventMs(sched));
    } else if (type === ET.ActivityTaskCompleted) {
      const started = byId.get(Number(e.activityTaskCompletedEventAttributes?.startedEventId?.toString()));
      if (started) r.actRun.push(eventMs(e) - eventMs(started));
    }
  }
  return r;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startServer(a);
  const taskQueue = `probe-${process.pid}-${Date.now()}`;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    // Compiled outside the repository (e.g. /tmp), webpack must still find @temporalio/workflow.
    webpackConfigHook: (config) => {
      const modules = path.resolve(path.dirname(require.resolve('@temporalio/workflow/package.json')), '../..');
      config.resolve = { ...config.resolve, modules: [...(config.resolve?.modules ?? ['node_modules']), modules] };
      return config;
    },
    logger: new DefaultLogger('ERROR'),
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });

  let sharedConnection: NativeConnection | undefined;
  const newWorker = async (): Promise<{ worker: Worker; done: Promise<void>; connection: NativeConnection }> => {
    let connection: NativeConnection;
    if (!sharedConnection || a.freshConnection) {
      connection = await NativeConnection.connect({ address: server.address, ...a.connOpts });
      if (!a.freshConnection) sharedConnection = connection;
    } else connection = sharedConnection;
    const options: WorkerOptions = {
      connection,
      taskQueue,
      workflowBundle,
      activities,
      ...(a.workerOpts as Partial<WorkerOptions>),
    };
    const worker = await Worker.create(options);
    const done = worker.run();
    return { worker, done, connection };
  };
  const stopWorker = async (w: { worker: Worker; done: Promise<void>; connection: NativeConnection }): Promise<void> => {
    w.worker.shutdown();
    await w.done;
    if (a.freshConnection) await w.connection.close();
  };

  console.log(
    `# ${a.label} runs=${a.runs} concurrency=${a.concurrency} steps=${a.steps} local=${a.local} freshWorker=${a.freshWorker} workerOpts=${JSON.stringify(a.workerOpts)} server=${a.javaTestServer ? 'java-test-server' : a.address ? a.address : 'dev ' + a.serverArgs.join(' ')} env=${JSON.stringify(a.serverEnv)}`,
  );
  console.log(
    `# loadavg ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  let current = a.freshWorker ? undefined : await newWorker();
  if (a.idleBeforeMs) await sleep(a.idleBeforeMs);
  const results: RunResult[] = [];
  const total = a.warmup + a.runs;
  const runOne = async (workflowId: string): Promise<RunResult> => {
    const t0 = performance.now();
    const handle = await client.workflow.start(a.local ? 'sequentialLocalNoops' : 'sequentialNoops', {
      taskQueue,
      workflowId,
      args: [a.steps],
    });
    await handle.result();
    const ms = performance.now() - t0;
    return analyse(await handle.fetchHistory(), ms);
  };
  let measuredFrom: { at: number; serverCpu: number; probeCpu: number } | undefined;
  for (let i = 0; i < total; i++) {
    const warm = i < a.warmup;
    if (!warm && !measuredFrom) measuredFrom = { at: performance.now(), serverCpu: cpuMs(server.child?.pid), probeCpu: probeCpuMs() };
    if (a.freshWorker) current = await newWorker();
    const round = await Promise.all(Array.from({ length: a.concurrency }, (_, k) => runOne(`${taskQueue}-${i}-${k}`)));
    if (a.freshWorker && current) {
      await stopWorker(current);
      current = undefined;
    }
    if (!warm) results.push(...round);
    if (!a.quiet) {
      for (const r of round) {
        console.log(
          `${warm ? 'warmup' : 'run'} ${String(i).padStart(3)} ${f1(r.ms).padStart(7)} ms | wft wait ${r.wftWaits.map((x, k) => f1(x) + (r.wftStickyKinds[k] ? 's' : '')).join(' ')} | act wait ${r.actWaits.map(f1).join(' ')}`,
        );
      }
    }
    if (a.pauseMs) await sleep(a.pauseMs);
  }
  const elapsedS = measuredFrom ? (performance.now() - measuredFrom.at) / 1000 : NaN;
  const serverCpuPerWf = measuredFrom ? (cpuMs(server.child?.pid) - measuredFrom.serverCpu) / results.length : NaN;
  const probeCpuPerWf = measuredFrom ? (probeCpuMs() - measuredFrom.probeCpu) / results.length : NaN;
  const all = (k: 'wftWaits' | 'actWaits' | 'wftRun' | 'actRun'): number[] => results.flatMap((r) => r[k]);
  const lat = results.map((r) => r.ms);
  const summary = {
    label: a.label,
    runs: results.length,
    latencyP50: pct(lat, 50),
    latencyP90: pct(lat, 90),
    firstRun: results[0]?.ms,
    wftWaitP50: pct(all('wftWaits'), 50),
    wftWaitP90: pct(all('wftWaits'), 90),
    actWaitP50: pct(all('actWaits'), 50),
    actWaitP90: pct(all('actWaits'), 90),
    wftRunP50: pct(all('wftRun'), 50),
    actRunP50: pct(all('actRun'), 50),
    workflowsPerSecond: results.length / elapsedS,
    serverCpuMsPerWorkflow: serverCpuPerWf,
    probeCpuMsPerWorkflow: probeCpuPerWf,
    loadavg: os.loadavg(),
  };
  console.log(
    `SUMMARY ${a.label || '-'} | runs ${summary.runs} | latency p50 ${f1(summary.latencyP50)} p90 ${f1(summary.latencyP90)} ms (first ${f1(summary.firstRun ?? NaN)}) | wft sched->start p50 ${f1(summary.wftWaitP50)} p90 ${f1(summary.wftWaitP90)} | act sched->start p50 ${f1(summary.actWaitP50)} p90 ${f1(summary.actWaitP90)} | wft run p50 ${f1(summary.wftRunP50)} | act run p50 ${f1(summary.actRunP50)} | ${f1(summary.workflowsPerSecond)} wf/s | CPU ms/wf server ${f1(serverCpuPerWf)} probe ${f1(probeCpuPerWf)} | load ${summary.loadavg.map((x) => x.toFixed(2)).join(' ')}`,
  );
  if (a.json) writeFileSync(a.json, JSON.stringify({ args: a, summary, results }, null, 2));
  if (a.holdMs) await sleep(a.holdMs);
  if (current) await stopWorker(current);
  if (sharedConnection) await sharedConnection.close();
  await client.connection.close();
  if (server.child) {
    const exited = new Promise<void>((r) => server.child?.once('exit', () => r()));
    killGroup(server.child, 'SIGTERM');
    const killer = setTimeout(() => killGroup(server.child, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}

main().catch((err) => {
  console.error(err);
  killGroup(serverToKill, 'SIGKILL');
  process.exit(1);
});
